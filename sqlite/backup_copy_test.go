package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyPagesReadsOneSnapshotWhileOthersWrite steps the copy a few pages
// at a time and commits a row through another connection after every
// step: SQLite restarts a backup whose source another connection wrote,
// unless, as here, the backup reads inside one transaction. The copy must
// end (in no more steps than the source has pages), hold exactly the rows
// of its start, and pass the integrity check.
func TestCopyPagesReadsOneSnapshotWhileOthersWrite(t *testing.T) {
	ctx := context.Background()
	const rows = 200
	s, dir := paddedStore(t, rows, 3000)
	var pages int
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	src, err := openRaw(s.Path(), "rw")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(dst, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	steps := 0
	err = copyPages(ctx, src, dst, 8, func() error {
		steps++
		if steps > pages {
			return fmt.Errorf("still copying after %d steps of 8 pages: restarted", steps)
		}
		_, err := s.db.ExecContext(ctx, `INSERT INTO pad VALUES (randomblob(3000))`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if steps < 2 || steps > pages/8+1 {
		t.Errorf("the copy of %d pages took %d steps of 8 pages: want 2 to %d (more means it restarted)", pages, steps, pages/8+1)
	}
	check := func(path string, want int) {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		var ok string
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pad`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if n != want || ok != "ok" {
			t.Errorf("%s: %d rows, integrity %q; want %d rows, ok", filepath.Base(path), n, ok, want)
		}
	}
	check(dst, rows)
	check(s.Path(), rows+steps)
}

// TestBackupKeepsToItsCap backs up a 3 MB database capped at 2 MB/s: the
// copy is written out a megabyte at a time, each no sooner than the cap
// allows, so the backup cannot end in under its size over the cap, while
// uncapped it takes a fraction of that.
func TestBackupKeepsToItsCap(t *testing.T) {
	ctx := context.Background()
	s, dir := paddedStore(t, 700, 3900)
	const rate = 2_000_000
	info, err := Backup(ctx, s.Path(), filepath.Join(dir, "capped.db"), BackupOptions{MaxBytesPerSecond: rate})
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes < 2<<20 {
		t.Fatalf("the database is %d bytes; the test needs over 2 MiB", info.Bytes)
	}
	if min := float64(info.Bytes) / rate; info.Seconds < min {
		t.Errorf("a %d-byte backup capped at 2 MB/s took %.2fs; want at least %.2fs", info.Bytes, info.Seconds, min)
	}
}

// paddedStore opens a store in a temporary folder, returned too, with a
// table pad of rows random blobs of size bytes each.
func paddedStore(t *testing.T, rows, size int) (*Store, string) {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	dir := filepath.Dir(s.Path())
	for _, q := range []string{
		`CREATE TABLE pad (x BLOB)`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO pad SELECT randomblob(%d) FROM n`, rows, size),
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return s, dir
}
