// Package browsertest starts the real headless Chromium that Dispatch's
// browser tests use, and judges screenshots. It is imported by tests only.
package browsertest

import (
	"context"
	"image"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// New starts headless Chromium (Debian's chromium) with exactly the agreed
// flags — chromedp adds only its control pipe and about:blank — and returns
// a browser context that ends with the test. Without Chromium the test
// fails with how to install it; DISPATCH_NO_BROWSER=1 skips instead.
func New(t testing.TB) context.Context {
	t.Helper()
	return NewWithTimeout(t, 90*time.Second)
}

// NewWithTimeout is New for a flow that needs longer than 90 seconds in
// all (many pages, each checked with axe-core).
func NewWithTimeout(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The browser lives as long as the context of the first run: start
	// it on the context without the time limit, so that running out of
	// time fails the step at hand and leaves the browser up to show (in
	// Snapshot) where the test was.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DISPATCH_NO_BROWSER") == "1" {
		t.Skip("DISPATCH_NO_BROWSER=1: skipping the headless Chromium test")
	}
	t.Fatal("chromium not found: install it with `apt-get install chromium` (Debian), or set DISPATCH_NO_BROWSER=1 to skip this test")
	return ""
}

// ArtifactDir is where screenshots go: $DISPATCH_TEST_ARTIFACTS, else a
// temporary directory. Never the source tree.
func ArtifactDir(t testing.TB) string {
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

// Stats describe a screenshot well enough to tell a rendered page from a
// blank or broken one.
type Stats struct {
	Colours      int     // distinct colours
	DarkShare    float64 // share of pixels with luma < 100
	DominantLuma int     // luma of the most common colour (the background)
}

// ImageStats measures a screenshot.
func ImageStats(img image.Image) Stats {
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
	return Stats{Colours: len(counts), DarkShare: float64(dark) / float64(max(total, 1)), DominantLuma: luma(dom)}
}

func luma(c [3]uint8) int {
	return (299*int(c[0]) + 587*int(c[1]) + 114*int(c[2])) / 1000
}
