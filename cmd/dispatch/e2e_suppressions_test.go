package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// afterBackup changes the database the way serve, the bounce processor
// and an admin would once a backup has been taken.
func afterBackup(t *testing.T, dbPath string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	find := func(email string) int64 {
		sub, err := s.FindSubscriberByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return sub.ID
	}
	l, err := s.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	// reader1: one-click from the list (what serve records).
	if err := s.Unsubscribe(ctx, find("reader1@example.com"), l.ID, 0, "one-click", ""); err != nil {
		t.Fatal(err)
	}
	// reader2 bounced, reader3 complained (what the bounce processor records).
	if err := s.Suppress(ctx, find("reader2@example.com"), subscribers.StatusBounced, 0, "bounce:mail", "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, find("reader3@example.com"), subscribers.StatusComplained, 0, "webhook:ses", "abuse"); err != nil {
		t.Fatal(err)
	}
	// reader6: unsubscribed from everything.
	if err := s.Unsubscribe(ctx, find("reader6@example.com"), 0, 0, "unsubscribe-page", ""); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEndRestorePlusSuppressionsMailsNobodyWhoLeft is the documented
// recovery path: restore an older backup, re-import the suppression list
// exported from the newer database, and nobody who unsubscribed, bounced,
// complained, was blocklisted or erased after the backup is mailed.
func TestEndToEndRestorePlusSuppressionsMailsNobodyWhoLeft(t *testing.T) {
	const n = 10
	e := newSendEnv(t, n, "")
	if r := dispatch(t, e.dir, "subscribers", "blocklist", "reader0@example.com"); r.code != 0 {
		t.Fatalf("blocklist: %s", r.stderr)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	parseBackup(t, dispatch(t, e.dir, "backup", old, "--json"))

	afterBackup(t, filepath.Join(e.dir, "dispatch.db"))
	for _, args := range [][]string{
		{"subscribers", "blocklist", "reader4@example.com"},
		{"subscribers", "remove", "reader5@example.com"},
		// Added and gone after the backup: unknown to it.
		{"subscribers", "add", "late@example.com", "--list", "clients"},
		{"subscribers", "blocklist", "late@example.com"},
	} {
		if r := dispatch(t, e.dir, args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}

	exp := filepath.Join(t.TempDir(), "suppressions.csv")
	r := dispatch(t, e.dir, "backup", "export-suppressions", exp)
	if r.code != 0 || !strings.Contains(r.stdout, "Exported 9 suppressions to "+exp+": 6 suppressed addresses, 2 list unsubscribes, 1 erased.") {
		t.Fatalf("export-suppressions: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(exp); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("export file: %v %v; want mode 0600", st, err)
	}
	body, _ := os.ReadFile(exp)
	for _, want := range []string{"reader2@example.com,", ",bounced,550 5.1.1 no such user,bounce:mail,", "reader1@example.com,",
		",clients,unsubscribed,", ",true\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("export lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "reader5") {
		t.Errorf("the export names an erased person:\n%s", body)
	}
	jsonExp := dispatch(t, e.dir, "backup", "export-suppressions", "--json")
	var entries []subscribers.Suppression
	if err := json.Unmarshal([]byte(jsonExp.stdout), &entries); err != nil || len(entries) != 9 {
		t.Fatalf("export-suppressions --json: %v, %d entries\n%s", err, len(entries), jsonExp.stdout)
	}

	if r := dispatch(t, e.dir, "restore", old); r.code != 0 || !strings.Contains(r.stderr, "newer than the backup's newest") {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The test could fail: restored alone, the database mails them again.
	for _, who := range []string{"reader1", "reader2", "reader3", "reader4", "reader5", "reader6"} {
		if st := status(t, e.dir, who+"@example.com"); st != "active" {
			t.Fatalf("%s in the old backup is %q; the test needs them active there", who, st)
		}
	}

	r = dispatch(t, e.dir, "import", "--suppressions", exp, "--json")
	var applied struct {
		Entries, Suppressed, Created, Hashes, Unchanged int
		ListUnsubscribed                                int `json:"list_unsubscribed"`
		ErasedAgain                                     int `json:"erased_again"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &applied); err != nil || r.code != 0 {
		t.Fatalf("import --suppressions: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	// reader2, 3, 4, 6 raised; reader1 and reader6 leave clients; late is
	// added blocklisted; reader5 erased again; reader0 was already blocklisted.
	if applied.Entries != 9 || applied.Suppressed != 4 || applied.ListUnsubscribed != 2 || applied.Created != 1 ||
		applied.ErasedAgain != 1 || applied.Hashes != 1 || applied.Unchanged != 1 {
		t.Errorf("import --suppressions = %+v", applied)
	}
	// Idempotent, from either format.
	js := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(js, []byte(jsonExp.stdout), 0o600)
	for _, f := range []string{exp, js} {
		r = dispatch(t, e.dir, "import", "--suppressions", f)
		if r.code != 0 || !strings.Contains(r.stdout, "unchanged          9 ") {
			t.Errorf("second import --suppressions %s changed something:\n%s%s", f, r.stdout, r.stderr)
		}
	}

	want := map[string]string{
		"reader0": "blocklisted", "reader1": "unsubscribed-from-list", "reader2": "bounced", "reader3": "complained",
		"reader4": "blocklisted", "reader6": "unsubscribed", "reader7": "active", "late": "blocklisted",
	}
	for who, st := range want {
		if got := status(t, e.dir, who+"@example.com"); got != st {
			t.Errorf("%s after the recovery: %q, want %q", who, got, st)
		}
	}
	if r := dispatch(t, e.dir, "subscribers", "show", "reader5@example.com"); r.code == 0 {
		t.Errorf("reader5, erased after the backup, is back after the recovery:\n%s", r.stdout)
	}
	// Re-importing the original contacts adds none of them back.
	if r := dispatch(t, e.dir, "import", filepath.Join(e.dir, "clients.csv"), "--list", "clients"); r.code != 0 {
		t.Fatalf("re-import: %s", r.stderr)
	}

	// And a send mails exactly those who are still in.
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if s := parseSend(t, r); r.code != 0 || s.Sent != 3 {
		t.Fatalf("send after recovery: exit %d sent %d\n%s", r.code, s.Sent, r.stderr)
	}
	var to []string
	for _, m := range e.srv.Messages() {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	if got := strings.Join(to, " "); got != "reader7@example.com reader8@example.com reader9@example.com" {
		t.Errorf("the campaign after the recovery mailed %s", got)
	}
}

func TestEndToEndImportSuppressionsRefusesBadFiles(t *testing.T) {
	e := newSendEnv(t, 1, "")
	for name, c := range map[string]struct{ body, want string }{
		"header.csv": {"email,list\nx@example.com,clients\n", "header.csv: line 1: not a suppression export"},
		"status.csv": {"email,email_sha256,list,status,reason,actor,at,erased\n" +
			"a@example.com,,,unsubscribed,,,2026-12-01T10:00:00Z,false\n" +
			"b@example.com,,,active,,,2026-12-01T10:00:00Z,false\n", "status.csv: line 3: field status: \"active\" is not a suppressed status"},
		"addr.json": {`[{"email":"not an address","email_sha256":"","status":"bounced","reason":"","actor":"","at":"2026-12-01T10:00:00Z","erased":false}]`,
			"addr.json: entry 1: field email"},
	} {
		p := filepath.Join(e.dir, name)
		os.WriteFile(p, []byte(c.body), 0o600)
		r := dispatch(t, e.dir, "import", "--suppressions", p)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want %q", name, r.code, r.stderr, c.want)
		}
	}
	// Nothing of a refused file was applied.
	if st := status(t, e.dir, "reader0@example.com"); st != "active" {
		t.Errorf("reader0 after refused files: %q", st)
	}
}
