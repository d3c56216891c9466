package templates_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/templates"
)

// chromiumPath finds the browser, or fails the test with how to install it.
// DISPATCH_NO_BROWSER=1 skips instead, for machines that cannot have one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DISPATCH_NO_BROWSER") == "1" {
		t.Skip("DISPATCH_NO_BROWSER=1: skipping the headless Chromium rendering test")
	}
	t.Fatal("chromium not found: install it with `apt-get install chromium` (Debian), or set DISPATCH_NO_BROWSER=1 to skip this test")
	return ""
}

// artifactDir is where screenshots go: $DISPATCH_TEST_ARTIFACTS, else a
// temporary directory. Never the source tree.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DISPATCH_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRenderInChromium renders the example issue in headless Chromium at
// phone and email-pane widths, light and dark, and checks the result looks
// like a page: not blank, tall enough, and no sideways scrolling on a phone.
func TestRenderInChromium(t *testing.T) {
	exe := chromiumPath(t)
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
	artifacts := artifactDir(t)

	// Exactly these flags; chromedp adds only its control pipe and about:blank.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	tests := []struct {
		name   string
		width  int64
		mobile bool
		dark   bool
	}{
		{name: "desktop-800", width: 800},
		{name: "pane-600", width: 600},
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
			st := imageStats(img)
			if got := img.Bounds().Dx(); got != int(tc.width) {
				t.Errorf("screenshot is %d px wide; want %d", got, tc.width)
			}
			if st.colours < 50 {
				t.Errorf("screenshot has %d distinct colours; want a rendered page (>= 50)", st.colours)
			}
			if st.darkShare < 0.01 {
				t.Errorf("%.2f%% of pixels are dark; want text and header (>= 1%%)", 100*st.darkShare)
			}
			// The most common colour is the card or page background.
			if tc.dark && st.dominantLuma > 80 {
				t.Errorf("dominant luminance %d in dark mode; want a dark background", st.dominantLuma)
			}
			if !tc.dark && st.dominantLuma < 200 {
				t.Errorf("dominant luminance %d in light mode; want a light background", st.dominantLuma)
			}
		})
	}
}

type stats struct {
	colours      int
	darkShare    float64
	dominantLuma int
}

func imageStats(img image.Image) stats {
	counts := map[[3]uint8]int{}
	dark, total := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			counts[c]++
			if luma(c) < 100 {
				dark++
			}
			total++
		}
	}
	var dom [3]uint8
	for c, n := range counts {
		if n > counts[dom] {
			dom = c
		}
	}
	return stats{colours: len(counts), darkShare: float64(dark) / float64(total), dominantLuma: luma(dom)}
}

func luma(c [3]uint8) int {
	return (299*int(c[0]) + 587*int(c[1]) + 114*int(c[2])) / 1000
}
