package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release .ci/test installs from the npm
// registry (npm pack axe-core@AxeVersion) into .cache/axe-core.
const AxeVersion = "4.11.0"

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript reads axe.min.js: $DISPATCH_AXE, else .cache/axe-core/axe.min.js
// at the module root.
func axeScript() (string, error) {
	axeOnce.Do(func() {
		path := os.Getenv("DISPATCH_AXE")
		if path == "" {
			root, err := moduleRoot()
			if err != nil {
				axeErr = err
				return
			}
			path = filepath.Join(root, ".cache", "axe-core", "axe.min.js")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			axeErr = fmt.Errorf("axe-core not found at %s (%w): install it with .ci/test, or by hand: "+
				"mkdir -p .cache && cd .cache && npm pack axe-core@%s && tar xzf axe-core-%s.tgz && mv package axe-core; "+
				"or point DISPATCH_AXE at an axe.min.js", path, err, AxeVersion, AxeVersion)
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// Axe injects axe-core into the current page (through the DevTools
// protocol, so the page's CSP does not stop it) and returns the rules the
// page breaks, WCAG 2.x A and AA plus best practices. The test fails,
// saying how to install axe-core, when it is missing.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	src, err := axeScript()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			targets: v.nodes.map(n => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core result %q: %v", out, err)
	}
	return vs
}

// CheckAccessibility fails the test for every serious or critical axe-core
// violation on the current page, and logs the others.
func CheckAccessibility(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	for _, v := range Axe(t, ctx) {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: accessibility: %s", page, v)
		} else {
			t.Logf("%s: accessibility (minor): %s", page, v)
		}
	}
}
