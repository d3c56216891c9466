package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// ledgerProblems lists what makes a backup's send ledger inconsistent.
func ledgerProblems(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for what, q := range map[string]string{
		"sent deliveries without sent_at":      `SELECT count(*) FROM deliveries WHERE status = 'sent' AND sent_at IS NULL`,
		"deliveries of a missing subscriber":   `SELECT count(*) FROM deliveries WHERE subscriber_id NOT IN (SELECT id FROM subscribers)`,
		"deliveries of a missing campaign":     `SELECT count(*) FROM deliveries WHERE campaign_id NOT IN (SELECT id FROM campaigns)`,
		"events of a missing subscriber":       `SELECT count(*) FROM events WHERE subscriber_id IS NOT NULL AND subscriber_id NOT IN (SELECT id FROM subscribers)`,
		"events of a missing campaign":         `SELECT count(*) FROM events WHERE campaign_id IS NOT NULL AND campaign_id NOT IN (SELECT id FROM campaigns)`,
		"campaigns whose recipients disagree":  `SELECT count(*) FROM campaigns c WHERE recipients != (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id)`,
		"rows breaking a foreign key":          `SELECT count(*) FROM pragma_foreign_key_check`,
		"subscriber rows duplicated by e-mail": `SELECT count(*) - count(DISTINCT email_norm) FROM subscribers`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			out = append(out, what)
		}
	}
	return out
}

func countSent(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'sent'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEndToEndBackupWhileSendingAndRestore backs up while a real send runs
// against a slow SMTP server, checks the copy's ledger, then restores it
// once the send is over.
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
	if p := ledgerProblems(t, bak); len(p) != 0 {
		t.Errorf("backup ledger inconsistent: %v", p)
	}
	// A snapshot taken during the send: some sent, not all, and never more
	// than the server had accepted by the time the backup finished.
	if sent := countSent(t, bak); sent == 0 || sent >= n || sent > onServer {
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
	if len(aside) != 1 || countSent(t, aside[0]) != n {
		t.Errorf("the replaced database is not kept aside whole: %v", aside)
	}
	again := parseBackup(t, dispatch(t, e.dir, "backup", filepath.Join(t.TempDir(), "after.db"), "--json"))
	if again.Counts != b.Counts || again.Schema != b.Schema {
		t.Errorf("restored database counts %+v; want the backup's %+v", again.Counts, b.Counts)
	}
	if got, want := sampleLedger(t, filepath.Join(e.dir, "dispatch.db")), sampleLedger(t, bak); got != want {
		t.Errorf("restored rows differ from the backup:\n%s\nwant\n%s", got, want)
	}
}

// sampleLedger is every tenth delivery and event, as text.
func sampleLedger(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || '|' || subscriber_id || '|' || status || '|' || coalesce(sent_at, '') FROM deliveries WHERE id % 10 = 0 ORDER BY id`,
		`SELECT id || '|' || type || '|' || created_at FROM events WHERE id % 10 = 0 ORDER BY id`,
		`SELECT id || '|' || email || '|' || status FROM subscribers WHERE id % 10 = 0 ORDER BY id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
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
