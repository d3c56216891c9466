package doctor_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps doctor free of the parts it checks: the command
// hands it the relay probe, the built message and the relay hints, so it
// imports no Dispatch package but the two leaf value packages.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{
		"github.com/dispatchhq/dispatch/doctor":            true,
		"github.com/dispatchhq/dispatch/internal/loopback": true,
		"github.com/dispatchhq/dispatch/internal/tlsmode":  true,
	}
	forbidden := map[string]string{
		"github.com/mattn/go-sqlite3": "storage belongs to sqlite (the command caches the DNS checks)",
		"github.com/wneessen/go-mail": "sending belongs to mailer (the command passes the probe in)",
		"github.com/spf13/viper":      "configuration is read only in cmd/dispatch",
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/dispatchhq/dispatch/") && !allowed[dep] {
			t.Errorf("doctor depends on %s; it may import only internal/loopback and internal/tlsmode", dep)
		}
		if why, ok := forbidden[dep]; ok {
			t.Errorf("doctor depends on %s: %s", dep, why)
		}
	}
}
