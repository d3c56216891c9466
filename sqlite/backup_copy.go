package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// backupStepPages is how many pages one step of the online backup API
// copies (1 MiB at the default page size): ctx is checked between steps.
const backupStepPages = 256

// copyPages copies every page of db's main database into the empty file
// at dst with the online backup API, in steps of stepPages pages, calling
// between (when not nil: a long copy's write-behind; tests write to the
// source there) after each step but the last.
//
// All the steps read one snapshot: copyPages opens a read transaction on
// its source connection first, and sqlite3_backup_step uses an open one
// instead of its own. SQLite restarts a backup when it finds on a new read
// transaction that another connection wrote the source meanwhile; inside
// one transaction (a WAL snapshot) nothing is found, so the copy is
// consistent and never restarted by a sender's commit, and, in WAL mode,
// it holds no lock a writer waits for. The copy's connection does not
// sync: copyInto writes the file out afterwards, at its own pace.
func copyPages(ctx context.Context, db *sql.DB, dst string, stepPages int, between func() error) error {
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
	// Its commit would otherwise fsync the whole copy at once, a burst of
	// writes every fsync of the live database queues behind (copyInto
	// writes it out a megabyte at a time instead).
	if _, err := dc.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return fmt.Errorf("open %s: %w", dst, err)
	}
	sc, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	if err := beginSnapshot(ctx, sc); err != nil {
		return fmt.Errorf("open a read transaction: %w", err)
	}
	defer sc.ExecContext(context.Background(), `ROLLBACK`)
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
			return errors.Join(stepAll(ctx, b, stepPages, between), b.Finish())
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

// beginSnapshot opens a read transaction on c and reads from it: BEGIN
// alone takes no snapshot until the first read.
func beginSnapshot(ctx context.Context, c *sql.Conn) error {
	if _, err := c.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	// Query, not Exec: mattn/go-sqlite3 runs Exec with a cancellable
	// context on another goroutine, off the caller's demoted thread.
	rows, err := c.QueryContext(ctx, `SELECT count(*) FROM sqlite_master`)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	return errors.Join(rows.Err(), rows.Close())
}

// stepAll runs b's steps to the end. mattn/go-sqlite3 reports SQLITE_BUSY
// and SQLITE_LOCKED as a step that is not done and no error: the
// destination is a private file and the source is read in an open
// transaction, so neither happens, and a step that copies nothing while
// pages remain is reported rather than retried for ever.
func stepAll(ctx context.Context, b *sqlite3.SQLiteBackup, stepPages int, between func() error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		before := b.Remaining()
		done, err := b.Step(stepPages)
		if err != nil || done {
			return err
		}
		if b.Remaining() == before && before > 0 {
			return errors.New("backup step copied nothing: the source or the copy is locked")
		}
		if between != nil {
			if err := between(); err != nil {
				return err
			}
		}
	}
}
