package templates_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/templates"
)

// TestRenderInChromium renders the example issue in headless Chromium at
// phone and email-pane widths, light and dark, and checks the result looks
// like a page: not blank, tall enough, and no sideways scrolling on a phone.
func TestRenderInChromium(t *testing.T) {
	c := mustCompileExample(t)
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(r.HTML)
	}))
	defer srv.Close()
	artifacts := browsertest.ArtifactDir(t)

	ctx := browsertest.New(t)

	tests := []struct {
		name   string
		width  int64
		mobile bool
		dark   bool
	}{
		{name: "desktop-800", width: 800},
		{name: "pane-600", width: 600},
		{name: "pane-600-dark", width: 600, dark: true},
		{name: "phone-375", width: 375, mobile: true},
		{name: "phone-375-dark", width: 375, mobile: true, dark: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scheme := "light"
			if tc.dark {
				scheme = "dark"
			}
			var viewport []chromedp.EmulateViewportOption
			if tc.mobile {
				viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulatePortrait)
			}
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(tc.width, 900, viewport...),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
					// Hidden scrollbars keep the layout width equal to the viewport.
					if _, err := chromedp.Call(ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
						return err
					}
					_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
						Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
					})
					return err
				}),
				chromedp.Navigate(srv.URL),
			)
			if err != nil {
				t.Fatalf("load page: %v", err)
			}
			type extent struct {
				ScrollWidth  int `json:"scrollWidth"`
				ScrollHeight int `json:"scrollHeight"`
			}
			ext, err := chromedp.Run(ctx, chromedp.Evaluate[extent](`({scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight})`))
			if err != nil {
				t.Fatalf("measure page: %v", err)
			}
			if ext.ScrollWidth > int(tc.width) {
				t.Errorf("scrollWidth = %d at a %d px viewport; want no horizontal overflow", ext.ScrollWidth, tc.width)
			}
			if ext.ScrollHeight < 1500 {
				t.Errorf("scrollHeight = %d; want a full issue (> 1500 px)", ext.ScrollHeight)
			}
			// Body text, headings and footer keep WCAG AA contrast against
			// the background they sit on, light or dark.
			type pair struct {
				What     string  `json:"what"`
				Contrast float64 `json:"contrast"`
			}
			pairs, err := chromedp.Run(ctx, chromedp.Evaluate[[]pair](contrastJS))
			if err != nil {
				t.Fatalf("measure contrast: %v", err)
			}
			if len(pairs) < 3 {
				t.Fatalf("measured %d text/background pairs; want story text, heading and footer", len(pairs))
			}
			for _, p := range pairs {
				if p.Contrast < 4.5 {
					t.Errorf("%s: contrast %.2f:1 against its background; want >= 4.5:1", p.What, p.Contrast)
				}
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			path := filepath.Join(artifacts, "issue-"+tc.name+".png")
			if err := os.WriteFile(path, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("decode screenshot: %v", err)
			}
			st := browsertest.ImageStats(img)
			if got := img.Bounds().Dx(); got != int(tc.width) {
				t.Errorf("screenshot is %d px wide; want %d", got, tc.width)
			}
			if st.Colours < 50 {
				t.Errorf("screenshot has %d distinct colours; want a rendered page (>= 50)", st.Colours)
			}
			if st.DarkShare < 0.01 {
				t.Errorf("%.2f%% of pixels are dark; want text and header (>= 1%%)", 100*st.DarkShare)
			}
			// The most common colour is the card or page background.
			if tc.dark && st.DominantLuma > 80 {
				t.Errorf("dominant luminance %d in dark mode; want a dark background", st.DominantLuma)
			}
			if !tc.dark && st.DominantLuma < 200 {
				t.Errorf("dominant luminance %d in light mode; want a light background", st.DominantLuma)
			}
		})
	}
}

// contrastJS returns the WCAG contrast of the first story paragraph, story
// heading and footer paragraph against the nearest ancestor background.
const contrastJS = `(() => {
  const rgb = s => s.match(/[\d.]+/g).map(Number);
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const bg = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const [what, sel] of [["story text", ".card p:not(.byline):not(.source)"], ["story heading", ".card h2"], ["footer", ".footer p"]]) {
    const el = document.querySelector(sel);
    if (!el) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
    out.push({what, contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)});
  }
  return out;
})()`
