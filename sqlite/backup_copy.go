package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// copyPages copies every page of db's main database into the empty file
// at dst with the online backup API, in a single step. Stepping in smaller
// pieces would let other processes write between the steps, and SQLite
// restarts a backup whose source changed: under a running send it would
// never finish. The single step cannot be interrupted; ctx is checked
// before it and stops the check that follows.
func copyPages(ctx context.Context, db *sql.DB, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	out, err := sql.Open("sqlite3", "file:"+dst+"?mode=rw&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer out.Close()
	dc, err := out.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", dst, err)
	}
	defer dc.Close()
	sc, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	err = dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			dconn, ok1 := d.(*sqlite3.SQLiteConn)
			sconn, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return fmt.Errorf("backup needs the mattn/go-sqlite3 driver, not %T", s)
			}
			b, err := dconn.Backup("main", sconn, "main")
			if err != nil {
				return err
			}
			done, err := b.Step(-1)
			if err == nil && !done {
				err = errors.New("backup step stopped before the last page")
			}
			return errors.Join(err, b.Finish())
		})
	})
	if err != nil {
		return err
	}
	// The pages carry the source's WAL mode in their header. The copy is a
	// single file at rest, so it is switched back to a rollback journal:
	// it reads without a -wal or -shm beside it.
	if _, err := dc.ExecContext(context.Background(), `PRAGMA journal_mode=DELETE`); err != nil {
		return fmt.Errorf("set the copy's journal mode: %w", err)
	}
	return nil
}
