package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/subscribers"
)

// messyCSV is a contact file as admins get them: a byte-order mark,
// semicolons, an email header Dispatch does not recognise, a duplicate,
// an invalid address, and a cell that would be a formula in a spreadsheet.
const messyCSV = "\ufeffAdresse électronique;Nom complet;Société;Notes\r\n" +
	"ada@example.com;Ada Lovelace;Analytical Engines;first\r\n" +
	"grace@example.com;Grace Hopper;Navy;\r\n" +
	"not-an-address;Bob;Nowhere;\r\n" +
	"ADA@example.com;Ada again;Engines;dup\r\n" +
	"=HYPERLINK(\"http://evil.example\");Eve;Evil;\r\n" +
	"linus@example.com;Linus;Kernel;\r\n"

// multipartUpload is an upload form: the CSRF token first, then the file.
func multipartUpload(token, name string, content []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if token != "" {
		w.WriteField("csrf", token)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func (b *browser) postBody(path, contentType string, body []byte) response {
	b.tc.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.tc.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return b.do(req)
}

// upload sends a file through the import page's form.
func (b *browser) upload(name string, content []byte) response {
	b.tc.t.Helper()
	if p := b.get("/imports"); p.status != http.StatusOK {
		b.tc.t.Fatalf("import page: %d", p.status)
	}
	ct, body := multipartUpload(b.csrf, name, content)
	return b.postBody("/imports/upload", ct, body)
}

func (tc *testConsole) runner() *imports.Runner { return tc.cfg.Imports.(*imports.Runner) }

// wait waits for the import a 303 points at and returns its id.
func (tc *testConsole) wait(r response) int64 {
	tc.t.Helper()
	m := regexp.MustCompile(`^/imports/(\d+)`).FindStringSubmatch(r.location)
	if r.status != http.StatusSeeOther || m == nil {
		tc.t.Fatalf("want a 303 to an import; got %d to %q\n%s", r.status, r.location, mainText(r.body))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if _, err := tc.runner().Wait(tc.t.Context(), id); err != nil {
		tc.t.Fatal(err)
	}
	return id
}

// uploadID is the upload a redirect to the mapping page names.
func uploadID(t *testing.T, r response) string {
	t.Helper()
	u, err := url.Parse(r.location)
	if r.status != http.StatusSeeOther || err != nil || u.Path != "/imports/mapping" || u.Query().Get("upload") == "" {
		t.Fatalf("upload: %d to %q; want a 303 to the mapping page\n%s", r.status, r.location, mainText(r.body))
	}
	return u.Query().Get("upload")
}

// withBasis is form v asking for the lawful basis basis.
func withBasis(v url.Values, basis string) url.Values {
	v.Set("basis", basis)
	return v
}

// fixedMapping is the form for messyCSV with its columns mapped by hand.
func fixedMapping(upload, do string) url.Values {
	return url.Values{"upload": {upload}, "do": {do},
		"role0": {"email"}, "key0": {""},
		"role1": {"name"}, "key1": {""},
		"role2": {"attr"}, "key2": {"company"},
		"role3": {"ignore"}, "key3": {"notes"},
		"list": {""}, "new_list": {"clients"}}
}

func resultJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<code id="result-json">(.*?)</code>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no result JSON on the page:\n%s", mainText(body))
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &v); err != nil {
		t.Fatal(err)
	}
	delete(v, "seconds")
	return v
}

// TestImportMessyFile is the whole flow over HTTP: upload, a preview that
// finds no email column, the mapping fixed by hand, a dry run with the
// summary of `import --dry-run --json` that writes nothing, the import,
// its result with the invalid rows and their download, and the history.
func TestImportMessyFile(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	ctx := t.Context()
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	up := uploadID(t, b.upload("clients export.csv", []byte(messyCSV)))
	p := b.get("/imports/mapping?upload=" + up)
	main := mainText(p.body)
	for _, want := range []string{"No email column", `<span id="encoding">utf-8</span>`, "semicolon (;)", "Adresse électronique", "Analytical Engines", "<td>not-an-address</td>"} {
		if !strings.Contains(main, want) {
			t.Errorf("preview lacks %q:\n%s", want, main)
		}
	}

	// The mapping, previewed: rows as they would be imported. The clients
	// are mailed under the soft opt-in: the basis is contract.
	p = b.post("/imports/mapping", withBasis(fixedMapping(up, "preview"), "contract"))
	main = mainText(p.body)
	if p.status != http.StatusOK || strings.Contains(main, `role="alert"`) {
		t.Fatalf("preview with the mapping: %d\n%s", p.status, main)
	}
	for _, want := range []string{"<td>ada@example.com</td>", "company: Analytical Engines", "Skipped:",
		"--map &#39;email=Adresse électronique,name=Nom complet,attr:company=Société,ignore=Notes&#39; --basis contract",
		`<option value="contract" selected>`} {
		if !strings.Contains(main, want) {
			t.Errorf("preview with the mapping lacks %q:\n%s", want, main)
		}
	}

	// A dry run writes nothing and says what `import --dry-run --json` says.
	r := b.post("/imports/mapping", withBasis(fixedMapping(up, "dry-run"), "contract"))
	if !strings.Contains(r.location, "basis=contract") {
		t.Errorf("the dry run's page %q drops the basis", r.location)
	}
	dry := tc.wait(r)
	p = b.get(fmt.Sprintf("/imports/%d?upload=%s&basis=contract", dry, up))
	got := resultJSON(t, p.body)
	if _, err := tc.store.FindListByName(ctx, "clients"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("the dry run created the list: %v", err)
	}
	if n, _ := tc.store.FindStatusCounts(ctx); n.Total() != 0 {
		t.Errorf("the dry run wrote subscribers: %+v", n)
	}
	mp, _ := subscribers.ParseMapping("email=Adresse électronique,name=Nom complet,attr:company=Société,ignore=Notes")
	cli, err := csvimport.Import(ctx, tc.store, "clients export.csv", strings.NewReader(messyCSV),
		subscribers.ImportConfig{List: "clients", DryRun: true, Mapping: mp})
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	js, _ := json.Marshal(cli)
	json.Unmarshal(js, &want)
	delete(want, "seconds")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dry run page JSON:\n%v\nwant (import --dry-run --json):\n%v", got, want)
	}
	if !strings.Contains(p.body, "Dry run: nothing was written") || !strings.Contains(p.body, `name="do" value="import"`) ||
		!strings.Contains(p.body, `<input type="hidden" name="basis" value="contract">`) {
		t.Errorf("dry run page lacks its notice or its import button:\n%s", mainText(p.body))
	}

	// Import it from the dry run's page.
	id := tc.wait(b.post("/imports/mapping", url.Values{"upload": {up}, "do": {"import"}, "list": {"clients"},
		"map": {mp.String()}, "basis": {"contract"}}))
	p = b.get(fmt.Sprintf("/imports/%d", id))
	main = mainText(p.body)
	for _, want := range []string{`<span class="n" id="n-added">3</span>`, `<span class="n" id="n-duplicates">1</span>`,
		`<span class="n" id="n-invalid">2</span>`, "<td class=\"num\">4</td><th scope=\"row\">not-an-address</th>",
		"invalid.csv"} {
		if !strings.Contains(main, want) {
			t.Errorf("result page lacks %q:\n%s", want, main)
		}
	}
	ada, err := tc.store.FindSubscriberByEmail(ctx, "ada@example.com")
	if err != nil || ada.Name != "Ada Lovelace" || ada.Attributes["company"] != "Analytical Engines" || ada.Attributes["notes"] != nil {
		t.Errorf("ada = %+v, %v", ada, err)
	}
	if events, _ := tc.store.Events(ctx, ada.ID); len(events) == 0 || events[0].Actor != "console:"+adminEmail {
		t.Errorf("ada's events = %+v; want them by the admin", events)
	}
	if subs, _ := tc.store.FindSubscriberByID(ctx, ada.ID); len(subs.Lists) != 1 || subs.Lists[0].Source != "import:clients export.csv" ||
		subs.Lists[0].Basis != subscribers.BasisContract {
		t.Errorf("ada's subscriptions = %+v; want the file as the source, on the basis of contract", subs.Lists)
	}
	if page := mainText(b.get(fmt.Sprintf("/subscribers/%d", ada.ID)).body); !strings.Contains(page, "<td>contract</td>") {
		t.Errorf("ada's page does not show the lawful basis:\n%s", page)
	}
	if _, err := os.Stat(filepath.Join(tc.cfg.Uploads.Dir(), up+".csv")); !os.IsNotExist(err) {
		t.Errorf("the imported upload is still in the spool: %v", err)
	}

	// The invalid rows as CSV, neutralised against formulas.
	d := b.get(fmt.Sprintf("/imports/%d/invalid.csv", id))
	rows, err := csv.NewReader(strings.NewReader(d.body)).ReadAll()
	if err != nil || d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v %q", d.status, err, d.header.Get("Content-Disposition"))
	}
	if len(rows) != 3 || rows[0][0] != "line" || rows[1][1] != "not-an-address" || rows[2][0] != "6" ||
		!strings.HasPrefix(rows[2][1], "'=HYPERLINK") {
		t.Errorf("invalid rows CSV = %q; want the header, line 4 and line 6 neutralised", rows)
	}

	// The history: who, when, which file, what came of it.
	h := mainText(b.get("/imports").body)
	for _, want := range []string{"clients export.csv", "console:" + adminEmail, "dry run", "2026-03-04 09:00 UTC", `<td class="num">3</td>`} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q:\n%s", want, h)
		}
	}
}

// TestImportBadInput: each bad upload or mapping gets a clear message on
// the page; nothing is imported and nothing is kept; and the admin can
// try again at once.
func TestImportBadInput(t *testing.T) {
	sp, err := imports.NewSpool(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tc := newTestConsole(t, console.Config{Uploads: sp}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	cutOff := func() response {
		b.get("/imports")
		ct, body := multipartUpload(b.csrf, "half.csv", []byte(strings.Repeat("someone@example.com,Someone\n", 2000)))
		return b.postBody("/imports/upload", ct, body[:len(body)/2])
	}
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	for _, c := range []struct {
		name   string
		send   func() response
		status int
		want   string
	}{
		{"not CSV", func() response { return b.upload("contacts.pdf", pdf) }, 422,
			"contacts.pdf cannot be imported: it is a PDF file, not CSV"},
		{"a spreadsheet", func() response { return b.upload("contacts.xlsx", []byte("PK\x03\x04\x14\x00\x06\x00rest")) }, 422,
			"this is an Excel workbook (.xlsx, a zip file), not CSV"},
		{"binary", func() response {
			return b.upload("dump.bin", []byte("email\x00\x01\x02\nada@example.com\x03\x04\n"))
		}, 422, "it holds binary data, not text"},
		{"over the limit", func() response {
			return b.upload("big.csv", []byte("email\n"+strings.Repeat("someone@example.com\n", 60000)))
		}, 413, "big.csv is over the upload limit of 1 MB (admin.max_upload_mb)"},
		{"cut off", cutOff, 400, "The upload was cut off before the end of the file"},
		{"empty", func() response { return b.upload("empty.csv", nil) }, 422, "empty.csv is empty"},
		{"no file", func() response {
			b.get("/imports")
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField("csrf", b.csrf)
			w.Close()
			return b.postBody("/imports/upload", w.FormDataContentType(), buf.Bytes())
		}, 422, "Choose a CSV file to upload."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.send()
			if r.status != c.status || !strings.Contains(html.UnescapeString(mainText(r.body)), c.want) {
				t.Errorf("status %d; want %d with %q:\n%s", r.status, c.status, c.want, mainText(r.body))
			}
			if !strings.Contains(r.body, `action="/imports/upload"`) {
				t.Error("the upload form is not shown again")
			}
			if left, _ := filepath.Glob(filepath.Join(sp.Dir(), "*")); len(left) != 0 {
				t.Errorf("the spool kept %q", left)
			}
			if recs, _ := tc.store.FindImportRecords(t.Context(), 10); len(recs) != 0 {
				t.Errorf("imports recorded: %+v", recs)
			}
			// And the admin can try again at once.
			good := b.upload("good.csv", []byte("email\nada@example.com\n"))
			sp.Remove(uploadID(t, good))
		})
	}

	// A file with no email column: the mapping page says so, and a mapping
	// without an email column is refused, without writing anything.
	up := uploadID(t, b.upload("names.csv", []byte("Name,Company\nAda,Engines\n")))
	p := b.get("/imports/mapping?upload=" + up)
	if !strings.Contains(html.UnescapeString(mainText(p.body)), "No email column: no email column among \"Name\", \"Company\"") {
		t.Errorf("mapping page of a file without an email column:\n%s", mainText(p.body))
	}
	for _, do := range []string{"dry-run", "import"} {
		r := b.post("/imports/mapping", url.Values{"upload": {up}, "do": {do}, "role0": {"name"}, "role1": {"attr"},
			"key1": {"company"}, "new_list": {"clients"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no column is set to Email address") {
			t.Errorf("%s without an email column: %d\n%s", do, r.status, mainText(r.body))
		}
		if !strings.Contains(r.body, `<option value="attr" selected>`) {
			t.Errorf("the refused form lost the admin's choices")
		}
	}
	// Other refused mappings and targets.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"role0": {"email"}, "role1": {"email"}, "new_list": {"clients"}}, "only one column can be the email address"},
		{url.Values{"role0": {"email"}, "role1": {"attr"}}, "choose a list to import into"},
		{url.Values{"role0": {"email"}, "role1": {"attr"}, "new_list": {strings.Repeat("x", 101)}}, "Nothing was imported: List name longer than 100"},
		{url.Values{"map": {"email=Nowhere"}, "new_list": {"clients"}}, "Nowhere"},
		{url.Values{"role0": {"email"}, "role1": {"attr"}, "new_list": {"clients"}, "basis": {"marketing"}},
			`Nothing was imported: Unknown lawful basis "marketing" (want consent, contract or legitimate-interest)`},
	} {
		c.form.Set("upload", up)
		c.form.Set("do", "import")
		r := b.post("/imports/mapping", c.form)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(mainText(r.body)), c.want) {
			t.Errorf("%v: %d; want 422 with %q\n%s", c.form, r.status, c.want, mainText(r.body))
		}
	}
	if recs, _ := tc.store.FindImportRecords(t.Context(), 10); len(recs) != 0 {
		t.Errorf("refused mappings recorded imports: %+v", recs)
	}
	if _, err := tc.store.FindListByName(t.Context(), "clients"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("a refused mapping created the list: %v", err)
	}
	// The right mapping then works.
	id := tc.wait(b.post("/imports/mapping", url.Values{"upload": {up}, "do": {"import"}, "role0": {"email"}, "role1": {"attr"},
		"key1": {"company"}, "new_list": {"clients"}}))
	if rec, _ := tc.store.FindImportRecord(t.Context(), id); rec.Status != subscribers.ImportFinished || rec.Result.InvalidCount != 1 {
		t.Errorf("after fixing the mapping: %+v", rec)
	}
	// An upload of someone else, or a made-up one, is not found.
	if r := b.get("/imports/mapping?upload=0123456789abcdef0123456789abcdef"); r.status != http.StatusNotFound {
		t.Errorf("a made-up upload: %d", r.status)
	}
}

// TestImportProgressPolls: while an import runs, its page polls its
// progress with htmx and offers a plain reload link; once it has ended, the
// progress part asks htmx to reload the whole page.
func TestImportProgressPolls(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	// A named pipe holds the import open until the test writes the file.
	fifo := filepath.Join(t.TempDir(), "slow.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := tc.runner().Start(context.Background(), imports.Request{Actor: "console:" + adminEmail, FileName: "slow.csv",
		Path: fifo, Import: subscribers.ImportConfig{List: "clients"}})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/imports/%d", id)
	p := b.get(page)
	for _, want := range []string{`hx-get="` + page + `/progress"`, `hx-trigger="every 1s"`, `<a href="` + page + `">Reload</a>`, "<progress"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page of a running import lacks %q:\n%s", want, mainText(p.body))
		}
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, `http-equiv="refresh"`) {
		t.Error("the page uses an inline script or a meta refresh")
	}
	if r := b.get(page + "/progress"); r.status != http.StatusOK || r.header.Get("HX-Refresh") != "" ||
		strings.Contains(r.body, "<html") || !strings.Contains(r.body, `id="progress"`) {
		t.Errorf("progress part while running: %d, HX-Refresh %q\n%s", r.status, r.header.Get("HX-Refresh"), r.body)
	}

	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("email\nada@example.com\n")
	w.Close()
	if _, err := tc.runner().Wait(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if r := b.get(page + "/progress"); r.header.Get("HX-Refresh") != "true" {
		t.Errorf("progress part after the end: HX-Refresh %q; want true", r.header.Get("HX-Refresh"))
	}
	if p := b.get(page); strings.Contains(p.body, "hx-get") || !strings.Contains(p.body, `id="n-added">1<`) {
		t.Errorf("page after the end:\n%s", mainText(p.body))
	}
}

// TestImportSweepsOldUploads: an upload never imported is deleted a day
// later, when the next file is uploaded.
func TestImportSweepsOldUploads(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	old := uploadID(t, b.upload("old.csv", []byte("email\nada@example.com\n")))
	day := time.Now().Add(-25 * time.Hour)
	for _, ext := range []string{".csv", ".json"} {
		if err := os.Chtimes(filepath.Join(tc.cfg.Uploads.Dir(), old+ext), day, day); err != nil {
			t.Fatal(err)
		}
	}
	fresh := uploadID(t, b.upload("new.csv", []byte("email\ngrace@example.com\n")))
	if r := b.get("/imports/mapping?upload=" + old); r.status != http.StatusNotFound || !strings.Contains(r.body, "upload the file again") {
		t.Errorf("a day-old upload: %d\n%s", r.status, mainText(r.body))
	}
	if r := b.get("/imports/mapping?upload=" + fresh); r.status != http.StatusOK {
		t.Errorf("the new upload: %d", r.status)
	}
}
