package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/browsertest"
)

func colourScheme(dark bool) chromedp.Action[chromedp.Void] {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// shoot saves a full-page screenshot as console-NAME.png and checks that
// it is a rendered page of the expected width.
func shoot(t *testing.T, ctx context.Context, name string, width int) {
	t.Helper()
	// A viewport as tall as the page leaves no room for a scroll bar, so
	// the screenshot is exactly width wide.
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	var opts []chromedp.EmulateViewportOption
	if width < 500 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(h), opts...)); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(browsertest.ArtifactDir(t), "console-"+name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Dx(); got != width {
		t.Errorf("%s: %d px wide; want %d", name, got, width)
	}
	if st := browsertest.ImageStats(img); st.Colours < 50 {
		t.Errorf("%s: %d colours; want a rendered page", name, st.Colours)
	}
}

// visit shows path at 1280 px (light) and 390 px (light and dark), checks
// each with axe-core, that a phone never scrolls sideways, and that the
// stylesheet was applied, and saves the screenshots.
func visit(t *testing.T, ctx context.Context, base, path, name, waitFor string) {
	t.Helper()
	for _, v := range []struct {
		width int
		dark  bool
	}{{1280, false}, {390, false}, {390, true}} {
		shot := fmt.Sprintf("%s-%d", name, v.width)
		opts := []chromedp.EmulateViewportOption{}
		if v.width < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if v.dark {
			shot += "-dark"
		}
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(int64(v.width), 900, opts...),
			colourScheme(v.dark),
			chromedp.Navigate(base+path),
			chromedp.WaitVisible(chromedp.CSS(waitFor)),
		); err != nil {
			browsertest.Fatalf(t, ctx, "open %s at %d px: %v", path, v.width, err)
		}
		font, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontFamily`))
		if err != nil || !strings.Contains(font, "system-ui") {
			t.Errorf("%s: body font %q (%v): is the stylesheet blocked?", shot, font, err)
		}
		if v.width < 500 {
			w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil || w > v.width {
				t.Errorf("%s: page is %d px wide (%v); want no sideways scrolling", shot, w, err)
			}
		}
		// Contrast differs between the schemes; layout between widths.
		if v.width > 500 || v.dark {
			browsertest.CheckAccessibility(t, ctx, shot)
		}
		shoot(t, ctx, shot, v.width)
	}
}

func sessionCookie(t *testing.T, ctx context.Context, base string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "dispatch_session" {
			return c
		}
	}
	return nil
}

// text is the visible text of the first element matching sel, read in
// one round trip so that an element htmx swaps cannot go stale.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return browsertest.Text(t, ctx, sel)
}

// TestConsoleInChromium is what an admin does: log in with a wrong
// password first, then the right one; look at the dashboard and the
// lists; create a list; log out; and find the old session dead.
func TestConsoleInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 5*time.Minute)
	tc := newTestConsole(t, console.Config{SiteName: "Northwind"}, false)
	clients, _ := seed(t, tc)
	base := tc.srv.URL

	visit(t, ctx, base, "/login", "login", "#email")

	// A wrong password first.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		colourScheme(false),
		chromedp.Navigate(base+"/lists"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not my password"),
		chromedp.Submit(chromedp.CSS("#password")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in with a wrong password: %v", err)
	}
	if got := browsertest.WaitText(t, ctx, ".alert", "Wrong email address or password."); got != "Wrong email address or password." {
		t.Errorf("after a wrong password: %q", got)
	}
	browsertest.CheckAccessibility(t, ctx, "login-error")
	shoot(t, ctx, "login-error-1280", 1280)

	// Then the right one, typed with the keyboard: the email is kept.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`a[aria-current="page"][href="/lists"]`)),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in: %v", err)
	}
	if got := text(t, ctx, "h1"); got != "Lists" {
		t.Errorf("after login, h1 = %q; want the page asked for (Lists)", got)
	}

	visit(t, ctx, base, "/", "dashboard", ".attention")
	if got := text(t, ctx, ".attention"); !strings.Contains(got, "is paused") || !strings.Contains(got, "550 5.7.1") {
		t.Errorf("dashboard attention = %q; want the paused campaign and its reason", got)
	}
	visit(t, ctx, base, "/lists", "lists", "table")
	visit(t, ctx, base, fmt.Sprintf("/lists/%d", clients.ID), "list", "#confirm")
	visit(t, ctx, base, "/account", "account", "#current")
	visit(t, ctx, base, "/nowhere", "not-found", "h1")

	// Keyboard users see where they are: the first Tab shows the skip
	// link, with the focus ring.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/lists"),
		chromedp.WaitVisible(chromedp.CSS("#name")), chromedp.KeyEvent("\t")); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	focus, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.activeElement, s = getComputedStyle(e);
		return e.textContent + "|" + s.outlineStyle + " " + s.outlineWidth + "|" + (e.getBoundingClientRect().left >= 0) })()`))
	if err != nil || focus != "Skip to content|solid 3px|true" {
		t.Errorf("after one Tab: %q (%v); want the visible skip link with a solid 3px outline", focus, err)
	}

	// Create a list with the form.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "press"),
		chromedp.SendKeys(chromedp.CSS("#title"), "Press releases"),
		chromedp.Submit(chromedp.CSS("#name")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "create a list: %v", err)
	}
	if got := browsertest.WaitText(t, ctx, ".notice", `"press"`); got != `List "press" created.` {
		t.Errorf("notice = %q", got)
	}
	if l, err := tc.store.FindListByName(t.Context(), "press"); err != nil || l.Title != "Press releases" {
		t.Errorf("list press: %+v, %v", l, err)
	}

	// Log out; the old session no longer works.
	old := sessionCookie(t, ctx, base)
	if old == nil {
		t.Fatal("no session cookie while logged in")
	}
	if !old.HTTPOnly || old.SameSite != network.CookieSameSiteStrict {
		t.Errorf("session cookie HttpOnly=%v SameSite=%q; want HttpOnly, Strict", old.HTTPOnly, old.SameSite)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".who button")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log out: %v", err)
	}
	if got := text(t, ctx, "main .notice"); got != "You are logged out." {
		t.Errorf("after logout: %q", got)
	}
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: old.Name, Value: old.Value, URL: base, HTTPOnly: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("body"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/login") {
		t.Errorf("with the old session after logout, the browser is at %q (%v); want the login page", loc, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("#password")`)); err != nil {
		t.Error(err)
	}
}
