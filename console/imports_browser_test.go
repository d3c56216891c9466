package console_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// waitPath waits until the browser is at a page whose path starts with
// prefix (and is not exactly avoid), and returns the path and query.
func waitPath(t *testing.T, ctx context.Context, prefix, avoid string) string {
	t.Helper()
	for i := 0; ; i++ {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil {
			if u, err := url.Parse(loc); err == nil && strings.HasPrefix(u.Path, prefix) && u.Path != avoid {
				return u.RequestURI()
			}
		}
		if i > 200 {
			t.Fatalf("never reached %s: at %q (%v)", prefix, loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImportInChromium is what an admin does with a messy export: upload
// it, see that Dispatch found no email column, fix the mapping, dry run,
// import, and read the result with its invalid rows. Every page is
// screenshot at 1280 and 390 px and checked with axe-core.
func TestImportInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 5*time.Minute)
	tc := newTestConsole(t, console.Config{SiteName: "Northwind"}, false)
	base := tc.srv.URL
	file := filepath.Join(t.TempDir(), "crm-export.csv")
	if err := os.WriteFile(file, []byte(messyCSV), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/imports"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#file")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in: %v", err)
	}
	visit(t, ctx, base, "/imports", "imports", "#file")

	// Upload the file.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/imports"),
		chromedp.WaitVisible(chromedp.CSS("#file")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Submit(chromedp.CSS("#file")),
		chromedp.WaitVisible(chromedp.CSS("#role0")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "upload: %v", err)
	}
	mapping := waitPath(t, ctx, "/imports/mapping", "")
	if got := text(t, ctx, ".alert"); !strings.Contains(got, "No email column") {
		t.Errorf("after the upload, alert = %q; want no email column", got)
	}
	if enc, delim := text(t, ctx, "#encoding"), text(t, ctx, "#delimiter"); enc != "utf-8" || delim != "semicolon (;)" {
		t.Errorf("detected %q, %q; want utf-8 and semicolon", enc, delim)
	}
	visit(t, ctx, base, mapping, "import-mapping", "#role0")

	// Fix the mapping and dry run.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		colourScheme(false),
		chromedp.SetValue(chromedp.CSS("#role0"), "email"),
		chromedp.SetValue(chromedp.CSS("#role1"), "name"),
		chromedp.SetValue(chromedp.CSS("#role3"), "ignore"),
		chromedp.SetValue(chromedp.CSS("#key2"), "company"),
		chromedp.SendKeys(chromedp.CSS("#new_list"), "clients"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.preview tbody th`)),
	); err != nil {
		browsertest.Fatalf(t, ctx, "fix the mapping: %v", err)
	}
	// htmx may swap the preview again as the fields change: wait for the
	// one with the fixed mapping.
	if got := browsertest.WaitText(t, ctx, ".preview tbody", "company: Analytical Engines"); !strings.Contains(got, "ada@example.com") {
		t.Errorf("preview after the fix = %q", got)
	}
	browsertest.CheckAccessibility(t, ctx, "import-mapping-fixed")
	shoot(t, ctx, "import-mapping-fixed-1280", 1280)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS(`button[value="dry-run"]`)),
		chromedp.WaitVisible(chromedp.CSS("#n-added")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "dry run: %v", err)
	}
	dry := waitPath(t, ctx, "/imports/", "/imports/mapping")
	if got := text(t, ctx, "#n-added"); got != "3" {
		t.Errorf("dry run would add %q; want 3", got)
	}
	if _, err := tc.store.FindListByName(t.Context(), "clients"); err == nil {
		t.Error("the dry run created the list")
	}
	visit(t, ctx, base, dry, "import-dry-run", "#n-added")

	// Import, and read the result.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS(`button[value="import"]`)),
		chromedp.WaitVisible(chromedp.CSS(".invalid-rows")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "import: %v", err)
	}
	result := waitPath(t, ctx, "/imports/", strings.SplitN(dry, "?", 2)[0])
	got := map[string]string{}
	for _, id := range []string{"n-rows", "n-added", "n-duplicates", "n-invalid"} {
		got[id] = text(t, ctx, "#"+id)
	}
	if fmt.Sprint(got) != "map[n-added:3 n-duplicates:1 n-invalid:2 n-rows:6]" {
		t.Errorf("result = %v; want 6 rows, 3 added, 1 duplicate, 2 invalid", got)
	}
	if inv := text(t, ctx, ".invalid-rows tbody"); !strings.Contains(inv, "not-an-address") || !strings.Contains(inv, "=HYPERLINK") {
		t.Errorf("invalid rows = %q", inv)
	}
	visit(t, ctx, base, result, "import-result", ".invalid-rows")
	sub, err := tc.store.FindSubscriberByEmail(t.Context(), "grace@example.com")
	if err != nil || sub.Attributes["company"] != "Navy" {
		t.Errorf("grace = %+v, %v", sub, err)
	}
	visit(t, ctx, base, "/imports", "imports-history", "tbody")
	if h := text(t, ctx, "tbody"); !strings.Contains(h, "crm-export.csv") || !strings.Contains(h, "console:"+adminEmail) {
		t.Errorf("history = %q", h)
	}
}

// TestImportProgressInChromium: the page of a running import shows its
// progress, and when the import ends htmx reloads it with the result,
// without the admin doing anything.
func TestImportProgressInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 3*time.Minute)
	tc := newTestConsole(t, console.Config{SiteName: "Northwind"}, false)
	base := tc.srv.URL
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
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+page),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#progress")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in: %v", err)
	}
	visit(t, ctx, base, page, "import-progress", "#progress")

	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("email\nada@example.com\ngrace@example.com\n")
	w.Close()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#n-added"))); err != nil {
		browsertest.Fatalf(t, ctx, "the page never showed the result: %v", err)
	}
	if got := text(t, ctx, "#n-added"); got != "2" {
		t.Errorf("added = %q; want 2", got)
	}
}
