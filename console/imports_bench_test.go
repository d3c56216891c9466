package console_test

import (
	"context"
	"flag"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/internal/synthetic"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

var importRows = flag.Int("import-rows", 100000, "rows for BenchmarkConsoleImport")

// BenchmarkConsoleImport imports the same generated file the way
// `dispatch import` does (the store's import, reading the file) and the
// way the console does: the upload over HTTP into the spool, its preview,
// the mapping form's import button, and the runner until it has ended.
// Each reports rows/s; the issue asks the console to be within 20%:
//
//	go test ./console -run '^$' -bench ConsoleImport -benchtime 1x -import-rows 1000000
func BenchmarkConsoleImport(b *testing.B) {
	n := *importRows
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "contacts.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, synthetic.CSV(n)); err != nil {
		b.Fatal(err)
	}
	f.Close()
	open := func(b *testing.B) *sqlite.Store {
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}

	b.Run("cli", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			in, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := csvimport.Import(ctx, s, "contacts.csv", in, subscribers.ImportConfig{List: "bench", Source: "import:contacts.csv"})
			b.StopTimer()
			in.Close()
			if err != nil || res.Added != n {
				b.Fatalf("import: %v, %+v", err, res)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("console", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			c := benchConsole(b, s)
			b.StartTimer()
			id := c.importFile(path)
			p, err := c.runner.Wait(ctx, id)
			b.StopTimer()
			if err != nil || p.Result == nil || p.Result.Added != n {
				b.Fatalf("import: %v, %+v", err, p)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// benchClient is a logged-in admin's browser on a console of its own.
type benchClient struct {
	b      *testing.B
	base   string
	c      *http.Client
	runner *imports.Runner
}

var benchCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func benchConsole(b *testing.B, s *sqlite.Store) *benchClient {
	b.Helper()
	ctx := context.Background()
	if _, err := (&accounts.Service{Store: s}).AddUser(ctx, adminEmail, "Ada", adminPassword, "bench"); err != nil {
		b.Fatal(err)
	}
	sp, err := imports.NewSpool(b.TempDir(), 4<<30)
	if err != nil {
		b.Fatal(err)
	}
	r, err := imports.New(ctx, s, imports.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	srv, err := console.New(console.Config{Store: s, Imports: r, Uploads: sp})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	jar, _ := cookiejar.New(nil)
	c := &benchClient{b: b, base: hs.URL, runner: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	tok := c.token("/login")
	c.send(http.MethodPost, "/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {tok}, "email": {adminEmail}, "password": {adminPassword}}.Encode()), http.StatusSeeOther)
	return c
}

func (c *benchClient) send(method, path, ctype string, body io.Reader, want int) *http.Response {
	c.b.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.b.Fatal(err)
	}
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(resp.Body)
		c.b.Fatalf("%s %s: %d; want %d\n%s", method, path, resp.StatusCode, want, mainText(string(msg)))
	}
	return resp
}

func (c *benchClient) token(path string) string {
	resp := c.send(http.MethodGet, path, "", nil, http.StatusOK)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := benchCSRF.FindSubmatch(page)
	if m == nil {
		c.b.Fatalf("no CSRF token on %s", path)
	}
	return string(m[1])
}

// importFile uploads the file as a browser streams it, then presses the
// mapping page's import button, and returns the import's id.
func (c *benchClient) importFile(path string) int64 {
	tok := c.token("/imports")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf", tok)
		fw, _ := mw.CreateFormFile("file", "contacts.csv")
		f, err := os.Open(path)
		if err == nil {
			_, err = io.Copy(fw, f)
			f.Close()
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	resp := c.send(http.MethodPost, "/imports/upload", mw.FormDataContentType(), pr, http.StatusSeeOther)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	upload := loc.Query().Get("upload")
	tok = c.token(loc.RequestURI())
	resp = c.send(http.MethodPost, "/imports/mapping", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
		"csrf": {tok}, "upload": {upload}, "do": {"import"}, "list": {"bench"}}.Encode()), http.StatusSeeOther)
	resp.Body.Close()
	id, err := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/imports/"), 10, 64)
	if err != nil {
		c.b.Fatalf("after the import button: %q", resp.Header.Get("Location"))
	}
	return id
}
