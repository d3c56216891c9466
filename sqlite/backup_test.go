package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// sampleRows reads every subscriber, subscription and event as text, so two
// databases can be compared row for row.
func sampleRows(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, q := range []string{
		`SELECT 's', id, email, status, updated_at FROM subscribers ORDER BY id`,
		`SELECT 'l', list_id, subscriber_id, status, updated_at FROM subscriptions ORDER BY 2, 3`,
		`SELECT 'e', id, coalesce(subscriber_id, 0), type, created_at FROM events ORDER BY id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, c, d, e string
			var b int64
			if err := rows.Scan(&k, &b, &c, &d, &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, strings.Join([]string{k, c, d, e}, "|"))
		}
		rows.Close()
	}
	return out
}

func TestBackupIsCheckedPrivateAndRestoresIdentically(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	mustImport(t, s, "google.csv", subscribers.ImportConfig{})
	dst := filepath.Join(t.TempDir(), "copy.db")

	info, err := sqlite.Backup(ctx, s.Path(), dst, sqlite.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Integrity != "ok" || !strings.HasPrefix(info.Schema, "00") || info.Counts.Subscribers == 0 || info.Counts.Lists != 1 || info.Counts.Events == 0 {
		t.Errorf("backup info = %+v", info)
	}
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != info.Bytes {
		t.Errorf("backup mode %v size %d; want 0600 and %d", st.Mode().Perm(), st.Size(), info.Bytes)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".copy.db.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	want := sampleRows(t, s.Path())
	if got := sampleRows(t, dst); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("backup rows differ from the database:\n%v\nwant\n%v", got, want)
	}

	// Restoring while the store is open is refused, and changes nothing.
	if _, err := sqlite.Restore(ctx, dst, s.Path(), time.Now()); !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("restore while open: %v; want ErrInUse", err)
	}
	// A later unsubscribe, then restore the older backup over it.
	sub := mustFind(t, s, must1stEmail(t, s))
	if _, err := s.Blocklist(ctx, sub.Email, "test", "later"); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	res, err := sqlite.Restore(ctx, dst, path, time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !res.LaterEvents || res.Aside != path+".before-restore-20261202T010000Z" {
		t.Errorf("restore result %+v; want later events and the old file aside", res)
	}
	if _, err := os.Stat(res.Aside); err != nil {
		t.Errorf("old database not kept aside: %v", err)
	}
	if got := sampleRows(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("restored rows differ from the backup")
	}
	// The restored file opens as a store and is what the backup held.
	s2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := mustFind(t, s2, sub.Email).Status; got != sub.Status {
		t.Errorf("restored status %q; want %q from the backup", got, sub.Status)
	}
}

func must1stEmail(t *testing.T, s *sqlite.Store) string {
	t.Helper()
	var e string
	if err := sqlite.DB(s).QueryRow(`SELECT email FROM subscribers WHERE status = 'active' ORDER BY id LIMIT 1`).Scan(&e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCheckBackupRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	mustImport(t, s, "google.csv", subscribers.ImportConfig{})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if _, err := sqlite.Backup(ctx, s.Path(), good, sqlite.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, from int) []byte {
		c := append([]byte(nil), b...)
		for i := from; i < len(c); i += 97 {
			c[i] ^= 0xA5
		}
		return c
	}
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		// Page 1 is the header and schema; flipping past it hits tables
		// and indexes.
		{"flipped pages", flip(body, 4096), ""},
		{"flipped header", flip(body, 0), ""},
		{"truncated", body[:len(body)/2], ""},
		{"not sqlite", []byte("hello, this is not a database\n"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".db")
			if err := os.WriteFile(p, tc.body, 0o600); err != nil {
				t.Fatal(err)
			}
			if info, err := sqlite.CheckBackup(ctx, p); err == nil {
				t.Fatalf("CheckBackup accepted a damaged file: %+v", info)
			} else if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// A schema from a newer dispatch is refused too.
	newer := filepath.Join(dir, "newer.db")
	if err := os.WriteFile(newer, body, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations VALUES ('9999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlite.CheckBackup(ctx, newer); err == nil || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Errorf("newer schema: %v", err)
	}
}

func TestBackupNeverCreatesTheDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nothing.db")
	if _, err := sqlite.Backup(context.Background(), missing, filepath.Join(dir, "b.db"), sqlite.BackupOptions{}); err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup created %s", missing)
	}
}

func TestRotatedBackupKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	dir := t.TempDir()
	// A file that only looks similar is never deleted.
	other := filepath.Join(dir, "dispatch-notes.db")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		if _, _, err := sqlite.RotatedBackup(ctx, s.Path(), dir, 2, at.Add(time.Duration(i)*time.Hour), sqlite.BackupOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := filepath.Glob(filepath.Join(dir, "dispatch-*.db"))
	want := []string{ // Glob's order: by name
		filepath.Join(dir, "dispatch-20261201T020000Z.db"),
		filepath.Join(dir, "dispatch-20261201T030000Z.db"),
		other,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v; want %v", got, want)
	}
}

func TestOpenBacksUpBeforeMigrating(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dispatch.db")
	// A database as the first release left it: only 0001 applied.
	first, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
		string(first),
		`INSERT INTO schema_migrations VALUES ('0001_init.sql', '2026-01-01T00:00:00.000000Z')`,
		`INSERT INTO lists (name, created_at) VALUES ('old', '2026-01-01T00:00:00.000000Z')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	bak := path + ".pre-0002.bak"
	info, err := sqlite.CheckBackup(ctx, bak)
	if err != nil {
		t.Fatalf("pre-migration backup: %v", err)
	}
	if info.Schema != "0001_init.sql" || info.Counts.Lists != 1 {
		t.Errorf("pre-migration backup holds %+v; want schema 0001_init.sql and the one list", info)
	}
	if st, _ := os.Stat(bak); st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", st.Mode().Perm())
	}
	// Up to date now: opening again writes no further copy.
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if baks, _ := filepath.Glob(path + ".pre-*"); len(baks) != 1 {
		t.Errorf("backups after a second open: %v", baks)
	}
	// A new database gets none.
	fresh := filepath.Join(t.TempDir(), "new.db")
	s, err = sqlite.Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if baks, _ := filepath.Glob(fresh + ".pre-*"); len(baks) != 0 {
		t.Errorf("a new database got backups: %v", baks)
	}
}
