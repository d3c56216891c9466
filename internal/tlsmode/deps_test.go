package tlsmode_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeafPackagesImportOnlyTheStandardLibrary: tlsmode and loopback are
// values every layer shares (mailer, doctor, bounce/inbox, the command),
// so they must pull nothing in; httpserve, which web and the console
// share, neither; smtpserve may add go-smtp only.
func TestLeafPackagesImportOnlyTheStandardLibrary(t *testing.T) {
	for pkg, extra := range map[string]string{
		"github.com/dispatchhq/dispatch/internal/tlsmode":   "",
		"github.com/dispatchhq/dispatch/internal/loopback":  "",
		"github.com/dispatchhq/dispatch/internal/smtpserve": "github.com/emersion/go-smtp",
		"github.com/dispatchhq/dispatch/internal/httpserve": "",
	} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep != pkg && (extra == "" || !strings.HasPrefix(dep, extra) && !strings.HasPrefix(dep, "github.com/emersion/go-sasl")) {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
