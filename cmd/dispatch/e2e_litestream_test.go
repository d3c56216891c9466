package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
)

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const litestreamModule = "github.com/benbjohnson/litestream/cmd/litestream@v0.5.18"

// litestreamBinary finds the real Litestream: DISPATCH_LITESTREAM (set by
// .ci/test), else .cache/bin/litestream, else litestream on PATH. Without
// it the test fails, saying how to install it: replication must not go
// unchecked silently.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DISPATCH_LITESTREAM"); p != "" {
		return p
	}
	if p, err := filepath.Abs(filepath.Join("..", "..", ".cache", "bin", "litestream")); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("litestream"); err == nil {
		return p
	}
	t.Fatalf("litestream is not installed: run .ci/test, or from the repository root\n"+
		"  GOBIN=$PWD/.cache/bin go install %s\n(or set DISPATCH_LITESTREAM to the binary)", litestreamModule)
	return ""
}

func litestreamRestore(t *testing.T, bin, replica, out string) {
	t.Helper()
	cmd := exec.Command(bin, "restore", "-o", out, "file://"+replica)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("litestream restore: %v\n%s", err, b)
	}
}

// TestLitestreamReplicatesASend runs the real `litestream replicate` to a
// file replica while a real `dispatch send` runs, restores the replica
// elsewhere mid-send and at the end, and compares with the original: the
// mid-send copy is a consistent prefix (every event it has is the
// original's, with no gap; no delivery it calls sent is anything else in
// the original), and the final copy has every delivery row and event.
func TestLitestreamReplicatesASend(t *testing.T) {
	bin := litestreamBinary(t)
	const n = 300
	e := newSendEnv(t, n, "")
	e.srv.SetDelay(15 * time.Millisecond) // 300 × 15 ms over 2 connections: over 2 s of sending
	db := filepath.Join(e.dir, "dispatch.db")
	replica := filepath.Join(t.TempDir(), "replica")
	cfg := filepath.Join(e.dir, "litestream.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`dbs:
  - path: %s
    monitor-interval: 100ms
    replica:
      type: file
      path: %s
      sync-interval: 100ms
`, db, replica)), 0o600)
	ls := exec.Command(bin, "replicate", "-config", cfg)
	lsOut := &lockedBuffer{}
	ls.Stdout, ls.Stderr = lsOut, lsOut
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ls.Process.Signal(os.Interrupt)
			ls.Wait()
		}
	}
	t.Cleanup(stop)
	// Replication has started once the first snapshot is in the replica.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(lsOut.String(), "snapshot complete") {
		if time.Now().After(deadline) {
			t.Fatalf("litestream made no snapshot in 30s:\n%s", lsOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	wait := e.startSend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, n/3); err != nil {
		t.Fatal(err)
	}
	// Events written by other processes during the send, before and
	// after the mid-send copy.
	blocklist := func(i int) {
		start := time.Now()
		if r := dispatch(t, e.dir, "subscribers", "blocklist", fmt.Sprintf("reader%d@example.com", i)); r.code != 0 {
			t.Fatalf("blocklist under litestream: %s", r.stderr)
		}
		t.Logf("subscribers blocklist under litestream: %s", time.Since(start).Round(time.Millisecond))
	}
	blocklist(n - 1)
	blocklist(n - 2)
	time.Sleep(300 * time.Millisecond) // a few sync intervals
	mid := filepath.Join(t.TempDir(), "mid.db")
	litestreamRestore(t, bin, replica, mid)
	blocklist(n - 3)

	r := wait()
	if s := parseSend(t, r); r.code != 0 || s.Sent < n-3 {
		t.Fatalf("send under litestream: exit %d, sent %d\n%s", r.code, s.Sent, r.stderr)
	}
	// A clean stop syncs what is left before exiting.
	stop()
	final := filepath.Join(t.TempDir(), "final.db")
	litestreamRestore(t, bin, replica, final)

	origD, origE := sqlitetest.LedgerRows(t, db)
	if len(origD) != n {
		t.Fatalf("original has %d deliveries, want %d", len(origD), n)
	}
	for _, c := range []string{mid, final} {
		if r := dispatch(t, e.dir, "restore", "--check", c); r.code != 0 {
			t.Errorf("restore --check of the litestream copy %s: %s", filepath.Base(c), r.stderr)
		}
		if p := sqlitetest.Invariants(t, c); len(p) != 0 {
			t.Errorf("%s: ledger inconsistent: %v", filepath.Base(c), p)
		}
	}

	midD, midE := sqlitetest.LedgerRows(t, mid)
	if len(midE) == 0 || len(midE) > len(origE) {
		t.Fatalf("mid-send copy has %d events, original %d", len(midE), len(origE))
	}
	for i, ev := range midE {
		if ev != origE[i] {
			t.Fatalf("mid-send copy event %d = %s; original has %s (not a prefix)", i, ev, origE[i])
		}
	}
	sentMid := 0
	for i, d := range midD {
		if strings.Contains(d, "|sent|") {
			sentMid++
			if d != origD[i] {
				t.Errorf("mid-send copy delivery %s is %s in the original", d, origD[i])
			}
		}
	}
	if sentMid == 0 || sentMid == n {
		t.Errorf("mid-send copy has %d of %d sent: not taken during the send", sentMid, n)
	}

	finD, finE := sqlitetest.LedgerRows(t, final)
	if strings.Join(finD, "\n") != strings.Join(origD, "\n") {
		t.Errorf("final copy deliveries differ from the original (%d rows vs %d)", len(finD), len(origD))
	}
	if strings.Join(finE, "\n") != strings.Join(origE, "\n") {
		t.Errorf("final copy events differ from the original (%d rows vs %d)", len(finE), len(origE))
	}
	t.Logf("mid-send copy: %d of %d sent, %d of %d events; final copy: %d deliveries, %d events",
		sentMid, n, len(midE), len(origE), len(finD), len(finE))
}
