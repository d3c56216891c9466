package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/consolecampaigns"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Test accounts.
const (
	adminEmail    = "ada@example.com"
	adminPassword = "correct horse battery staple"
)

// consoleOwner is the console's process as its campaign leases name it.
var consoleOwner = subscribers.LeaseOwner{Host: "console.test", PID: 4242, Process: "serve",
	Started: time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)}

// clock is a settable time shared by the store and the console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConsole is a console over a real SQLite file, served by httptest.
type testConsole struct {
	t     *testing.T
	store *sqlite.Store
	srv   *httptest.Server
	clock *clock
	logs  *syncBuffer
	cfg   console.Config
}

// newTestConsole starts a console with one account (adminEmail) unless
// noUser. cfg may set fields; Store, Now and Logger are filled in.
func newTestConsole(t *testing.T, cfg console.Config, noUser bool) *testConsole {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clk := &clock{t: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)}
	s.Now = clk.Now
	logs := &syncBuffer{}
	cfg.Store, cfg.Now = s, clk.Now
	if cfg.Campaigns == nil {
		// The campaign use case as `dispatch serve` wires it for the console.
		cfg.Campaigns = consolecampaigns.New(campaign.New(campaign.Config{Owner: consoleOwner, Now: clk.Now}, s))
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	withImports(t, &cfg, s)
	if !noUser {
		svc := &accounts.Service{Store: s, Now: clk.Now}
		if _, err := svc.AddUser(ctx, adminEmail, "Ada", adminPassword, "test"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return &testConsole{t: t, store: s, srv: srv, clock: clk, logs: logs, cfg: cfg}
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see each 303.
type browser struct {
	tc   *testConsole
	c    *http.Client
	csrf string // the last token seen on a page
}

func (tc *testConsole) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{tc: tc, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status   int
	body     string
	location string
	header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) response {
	b.tc.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.tc.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return response{status: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header}
}

func (b *browser) get(path string) response {
	b.tc.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.tc.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; the last CSRF token seen is added unless form sets
// "csrf" itself (to "" to leave it out).
func (b *browser) post(path string, form url.Values) response {
	b.tc.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	req, _ := http.NewRequest(http.MethodPost, b.tc.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in through the form and fails the test unless it worked.
func (b *browser) login(email, password string) {
	b.tc.t.Helper()
	b.get("/login")
	r := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther || r.location != "/" {
		b.tc.t.Fatalf("login as %s: status %d, location %q; want 303 to /\n%s", email, r.status, r.location, r.body)
	}
	if p := b.get("/"); p.status != http.StatusOK {
		b.tc.t.Fatalf("dashboard after login: status %d", p.status)
	}
}

// cookie returns the value of the named cookie the browser holds.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.tc.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.tc.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// mainText is the <main> of a page, where messages appear.
func mainText(body string) string {
	i, j := strings.Index(body, "<main"), strings.Index(body, "</main>")
	if i < 0 || j < i {
		return body
	}
	return body[i:j]
}
