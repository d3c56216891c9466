package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
)

type backupJSON struct {
	Path      string
	Bytes     int64
	Seconds   float64
	Integrity string
	Schema    string
	Counts    struct {
		Subscribers, Lists, Campaigns, Deliveries, Events int64
	}
}

func parseBackup(t testing.TB, r result) backupJSON {
	t.Helper()
	var b backupJSON
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("backup --json: %v\n%s", err, r.stdout)
	}
	return b
}

func TestEndToEndBackupWhileSendingAndRestore(t *testing.T) {
	const n = 300
	e := newSendEnv(t, n, "")
	e.srv.SetDelay(20 * time.Millisecond) // 300 × 20ms over 2 connections: about 3 s of sending
	wait := e.startSend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 20); err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(t.TempDir(), "mid-send.db")
	b := parseBackup(t, dispatch(t, e.dir, "backup", bak, "--json"))
	onServer := len(e.srv.Messages())
	if b.Integrity != "ok" || b.Path != bak || b.Counts.Subscribers != n || b.Counts.Lists != 1 || b.Counts.Campaigns != 1 ||
		b.Counts.Deliveries != n || !strings.HasPrefix(b.Schema, "00") || b.Seconds <= 0 {
		t.Errorf("backup --json = %+v", b)
	}
	if st, err := os.Stat(bak); err != nil || st.Mode().Perm() != 0o600 || st.Size() != b.Bytes {
		t.Errorf("backup file: %v %v; want mode 0600 and %d bytes", st, err, b.Bytes)
	}
	if p := sqlitetest.Invariants(t, bak); len(p) != 0 {
		t.Errorf("backup ledger inconsistent: %v", p)
	}
	// A snapshot taken during the send: some sent, not all, and never more
	// than the server had accepted by the time the backup finished.
	if sent := sqlitetest.CountSent(t, bak); sent == 0 || sent >= n || sent > onServer {
		t.Errorf("backup has %d sent (server had %d of %d): not a mid-send snapshot", sent, onServer, n)
	}
	r := wait()
	if s := parseSend(t, r); r.code != 0 || s.Sent != n {
		t.Fatalf("send: exit %d sent %d\n%s", r.code, s.Sent, r.stderr)
	}

	// An unsubscribe after the backup: restoring must warn that it is lost.
	if r := dispatch(t, e.dir, "subscribers", "blocklist", "reader7@example.com"); r.code != 0 {
		t.Fatalf("blocklist: %s", r.stderr)
	}
	// Restore the mid-send copy over the finished database.
	r = dispatch(t, e.dir, "restore", "--check", bak)
	if r.code != 0 || !strings.Contains(r.stdout, "integrity ok") {
		t.Fatalf("restore --check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, e.dir, "restore", bak)
	if r.code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "newer than the backup's newest") || !strings.Contains(r.stderr, "before-restore-") {
		t.Errorf("restore of an older backup did not warn about later events:\n%s", r.stderr)
	}
	aside, _ := filepath.Glob(filepath.Join(e.dir, "dispatch.db.before-restore-*"))
	if len(aside) != 1 || sqlitetest.CountSent(t, aside[0]) != n {
		t.Errorf("the replaced database is not kept aside whole: %v", aside)
	}
	again := parseBackup(t, dispatch(t, e.dir, "backup", filepath.Join(t.TempDir(), "after.db"), "--json"))
	if again.Counts != b.Counts || again.Schema != b.Schema {
		t.Errorf("restored database counts %+v; want the backup's %+v", again.Counts, b.Counts)
	}
	if got, want := sqlitetest.Fingerprint(t, filepath.Join(e.dir, "dispatch.db")), sqlitetest.Fingerprint(t, bak); got != want {
		t.Errorf("restored rows differ from the backup:\n%s\nwant\n%s", got, want)
	}
}

func TestEndToEndRestoreRefusedWhileServeRuns(t *testing.T) {
	e := newServeEnv(t, 3, "")
	bak := filepath.Join(t.TempDir(), "b.db")
	parseBackup(t, dispatch(t, e.dir, "backup", bak, "--json"))
	e.start(t)
	r := dispatch(t, e.dir, "restore", bak)
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another dispatch process") {
		t.Fatalf("restore while serve runs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if aside, _ := filepath.Glob(filepath.Join(e.dir, "*before-restore*")); len(aside) != 0 {
		t.Errorf("a refused restore moved files: %v", aside)
	}
	// Backing up while serve runs works.
	parseBackup(t, dispatch(t, e.dir, "backup", filepath.Join(t.TempDir(), "live.db"), "--json"))
}

func TestEndToEndBackupRefusals(t *testing.T) {
	e := newServeEnv(t, 2, "")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	parseBackup(t, dispatch(t, e.dir, "backup", good, "--json"))
	body, _ := os.ReadFile(good)
	for i := 4096; i < len(body); i += 101 {
		body[i] ^= 0x5A
	}
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, body, 0o600)
	r := dispatch(t, e.dir, "restore", "--check", bad)
	if r.code != 1 || !strings.Contains(r.stderr, bad) {
		t.Errorf("restore --check of a corrupted copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before, _ := os.ReadFile(filepath.Join(e.dir, "dispatch.db"))
	if r := dispatch(t, e.dir, "restore", bad); r.code != 1 {
		t.Errorf("restore of a corrupted copy: exit %d", r.code)
	}
	if after, _ := os.ReadFile(filepath.Join(e.dir, "dispatch.db")); string(after) != string(before) {
		t.Error("a refused restore changed the database")
	}

	// Never creates a database.
	empty := t.TempDir()
	r = dispatch(t, empty, "--db", "nothing.db", "backup", filepath.Join(dir, "x.db"))
	if r.code != 1 || !strings.Contains(r.stderr, "no database at "+filepath.Join(empty, "nothing.db")) {
		t.Errorf("backup without a database: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(empty, "nothing.db")); err == nil {
		t.Error("backup created a database")
	}

	// Rotation through the binary.
	to := filepath.Join(dir, "rotating")
	for range 2 {
		if r := dispatch(t, e.dir, "backup", "--to", to, "--keep", "1"); r.code != 0 {
			t.Fatalf("backup --to: %s", r.stderr)
		}
		time.Sleep(1100 * time.Millisecond) // dated names have one-second resolution
	}
	if got, _ := filepath.Glob(filepath.Join(to, "dispatch-*.db")); len(got) != 1 {
		t.Errorf("backup --to --keep 1 left %v", got)
	}
}
