package web_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// browser starts headless Chromium with the agreed flags.
func browser(t *testing.T) context.Context { return browsertest.New(t) }

func artifactDir(t *testing.T) string { return browsertest.ArtifactDir(t) }

// screenshot saves the page as name.png and checks it is a rendered page.
func screenshot(t *testing.T, ctx context.Context, dir, name string, width int, dark bool) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	if got := img.Bounds().Dx(); got != width {
		t.Errorf("%s: screenshot is %d px wide; want %d", name, got, width)
	}
	st := browsertest.ImageStats(img)
	if st.Colours < 50 {
		t.Errorf("%s: %d distinct colours; want a rendered page (>= 50)", name, st.Colours)
	}
	if st.DarkShare < 0.03 {
		t.Errorf("%s: %.1f%% dark pixels; want text and the masthead (>= 3%%)", name, 100*st.DarkShare)
	}
	if !dark && st.DominantLuma < 200 {
		t.Errorf("%s: dominant luminance %d; want a light page", name, st.DominantLuma)
	}
	if dark && st.DominantLuma > 60 {
		t.Errorf("%s: dominant luminance %d in dark mode; want a dark page", name, st.DominantLuma)
	}
}

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

// TestUnsubscribeInChromium clicks through the real pages in headless
// Chromium: the confirm page, the button, the confirmation. It checks the
// store, that the stylesheet survived the CSP, the keyboard focus ring, and
// that a phone never scrolls sideways.
func TestUnsubscribeInChromium(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, nil)
	dir := artifactDir(t)
	alice := e.addSubscriber("alice.smith@example.com", "Weekly Digest", "Alerts")
	bob := e.addSubscriber("bob@example.com", "Weekly Digest")
	weekly := e.listID("Weekly Digest")

	t.Run("desktop click-through", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(900, 800),
			colourScheme(false),
			chromedp.Navigate(e.unsubscribeURL(alice.ID, weekly, 42)),
			chromedp.WaitVisible(chromedp.CSS("button[type=submit]")),
		); err != nil {
			browsertest.Fatalf(t, ctx, "open confirm page: %v", err)
		}
		// The masthead colour proves the CSP hash let the stylesheet in.
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.masthead')).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		if bg != "rgb(14, 35, 64)" {
			t.Errorf("masthead background = %q; want rgb(14, 35, 64): is the stylesheet blocked?", bg)
		}
		screenshot(t, ctx, dir, "confirm-desktop", 900, false)

		// Keyboard users see where they are: tab to the first control.
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			browsertest.Fatalf(t, ctx, "%v", err)
		}
		outline, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = getComputedStyle(document.activeElement); return document.activeElement.tagName + " " + s.outlineStyle + " " + s.outlineWidth })()`))
		if err != nil {
			t.Fatal(err)
		}
		if outline != "INPUT solid 3px" {
			t.Errorf("focused element and outline = %q; want INPUT solid 3px", outline)
		}

		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("button[type=submit]")))
		if err != nil {
			t.Fatalf("click unsubscribe: %v", err)
		}
		if resp.Status != 200 {
			t.Errorf("confirmation status = %d; want 200", resp.Status)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#resubscribe-heading"))); err != nil {
			browsertest.Fatalf(t, ctx, "wait for confirmation: %v", err)
		}
		title := browsertest.Text(t, ctx, "h1")
		if title != "You’re unsubscribed" {
			t.Errorf("confirmation heading = %q; want You’re unsubscribed", title)
		}
		screenshot(t, ctx, dir, "unsubscribed-desktop", 900, false)

		if got := e.subscription(alice.ID, weekly); got != subscribers.Unsubscribed {
			t.Errorf("after the click, subscription = %q; want unsubscribed", got)
		}
		if got := e.subscription(alice.ID, e.listID("Alerts")); got != subscribers.Subscribed {
			t.Errorf("after the click, Alerts = %q; want subscribed (the default choice is one list)", got)
		}
		ev := e.eventsOfType(alice.ID, subscribers.EventUnsubscribed)
		if len(ev) != 1 || ev[0].CampaignID != 42 || ev[0].Reason != "link" {
			t.Errorf("unsubscribe events = %+v; want one, campaign 42, reason link", ev)
		}

		// And back again.
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(".aside button"))); err != nil {
			browsertest.Fatalf(t, ctx, "click resubscribe: %v", err)
		}
		if got := e.subscription(alice.ID, weekly); got != subscribers.Subscribed {
			t.Errorf("after resubscribing, subscription = %q; want subscribed", got)
		}
		screenshot(t, ctx, dir, "resubscribed-desktop", 900, false)
	})

	for _, dark := range []bool{false, true} {
		name := "phone-375"
		if dark {
			name += "-dark"
		}
		t.Run(name, func(t *testing.T) {
			if err := chromedp.Do(ctx,
				chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile),
				colourScheme(dark),
				chromedp.Navigate(e.unsubscribeURL(bob.ID, weekly, 7)),
				chromedp.WaitVisible(chromedp.CSS("button[type=submit]")),
			); err != nil {
				browsertest.Fatalf(t, ctx, "open confirm page: %v", err)
			}
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if width > 375 {
				t.Errorf("scrollWidth = %d at 375 px; want no horizontal overflow", width)
			}
			screenshot(t, ctx, dir, "confirm-"+name, 375, dark)
		})
	}
	t.Run("invalid link", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile),
			colourScheme(false),
			chromedp.Navigate(e.ts.URL+"/u/0123456789abcdefghij"),
			chromedp.WaitVisible(chromedp.CSS("main p")),
		); err != nil {
			browsertest.Fatalf(t, ctx, "open invalid link: %v", err)
		}
		title := browsertest.Text(t, ctx, "h1")
		if title != "This link doesn’t work" {
			t.Errorf("heading = %q; want the invalid-link page", title)
		}
		screenshot(t, ctx, dir, "invalid-phone-375", 375, false)
	})
	if got := e.subscription(bob.ID, weekly); got != subscribers.Subscribed {
		t.Errorf("viewing the confirm page changed bob's subscription to %q", got)
	}
}
