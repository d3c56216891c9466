package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RestoreResult says what Restore did.
type RestoreResult struct {
	Backup BackupInfo `json:"backup"`
	// Aside is where the database that was replaced was kept; empty when
	// there was none.
	Aside string `json:"aside,omitempty"`
	// CurrentNewestEvent is the newest event of the replaced database.
	CurrentNewestEvent time.Time `json:"current_newest_event,omitzero"`
	// LaterEvents is true when the replaced database has events newer
	// than the backup's newest: unsubscribes among them are not in the
	// restored file.
	LaterEvents bool `json:"later_events"`
	// CurrentUnreadable says why the replaced database could not be read,
	// when it could not; it was kept aside all the same.
	CurrentUnreadable string `json:"current_unreadable,omitempty"`
}

// Restore replaces the database at dbPath with the backup at src. It
// checks the backup first, refuses with ErrInUse while any other Store has
// the database open, and keeps the replaced file as
// dbPath.before-restore-TIME.
func Restore(ctx context.Context, src, dbPath string, now time.Time) (RestoreResult, error) {
	var res RestoreResult
	info, err := CheckBackup(ctx, src)
	if err != nil {
		return res, err
	}
	res.Backup = info
	if same, _ := sameFile(src, dbPath); same {
		return res, fmt.Errorf("restore %s: it is the database itself", src)
	}
	lock, err := lockDB(dbPath, true)
	if err != nil {
		return res, fmt.Errorf("restore %s: %w", dbPath, err)
	}
	defer lock.Close()

	if _, err := os.Stat(dbPath); err == nil {
		newest, err := foldAndReadNewest(ctx, dbPath)
		switch {
		case errors.Is(err, ErrInUse):
			return res, fmt.Errorf("restore %s: %w", dbPath, err)
		case err != nil:
			// A broken database is what restores are for: keep it aside
			// as it is, WAL included, and say so.
			res.CurrentUnreadable = err.Error()
		default:
			res.CurrentNewestEvent = newest
			res.LaterEvents = newest.After(info.NewestEvent)
		}
		res.Aside = dbPath + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		// The sidecars go with it: a WAL left beside the old name would be
		// applied to the restored file.
		for _, suffix := range []string{"-wal", "-shm", ""} {
			err := os.Rename(dbPath+suffix, res.Aside+suffix)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return res, fmt.Errorf("restore: keep current database aside as %s: %w", res.Aside, err)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("restore %s: %w", dbPath, err)
	}
	if err := copyPrivate(src, dbPath); err != nil {
		return res, fmt.Errorf("restore %s to %s: %w", src, dbPath, err)
	}
	if err := recountHeldBack(ctx, dbPath); err != nil {
		return res, fmt.Errorf("restore %s: %w", dbPath, err)
	}
	return res, nil
}

// recountHeldBack counts again the campaigns of the database at path whose
// counts a sender held back when the backup was taken (ledger_buffer.go):
// their sender is not coming back to write them.
func recountHeldBack(ctx context.Context, path string) error {
	db, err := openRaw(path, "rw")
	if err != nil {
		return err
	}
	defer db.Close()
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM pragma_table_info('campaign_counts') WHERE name = 'unflushed'`).Scan(&has); err != nil || !has {
		return err // a backup from before migration 0025 has no marks
	}
	rows, err := db.QueryContext(ctx, `SELECT campaign_id FROM campaign_counts WHERE unflushed <> 0`)
	if err != nil {
		return fmt.Errorf("read campaign counts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read campaign counts: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := inTxOn(ctx, db, func(tx *sql.Tx) error { return recountCampaign(ctx, tx, id) }); err != nil {
			return err
		}
	}
	return nil
}

// foldAndReadNewest checkpoints the WAL of the database into its main file
// (so the file can be moved alone) and returns its newest event time.
func foldAndReadNewest(ctx context.Context, path string) (time.Time, error) {
	db, err := openRaw(path, "rw")
	if err != nil {
		return time.Time{}, err
	}
	defer db.Close()
	var busy, logged, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return time.Time{}, fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return time.Time{}, fmt.Errorf("checkpoint: %w", ErrInUse)
	}
	var newest sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(created_at) FROM events`).Scan(&newest); err != nil {
		return time.Time{}, fmt.Errorf("read newest event: %w", err)
	}
	if !newest.Valid {
		return time.Time{}, nil
	}
	return parseTime(newest.String), nil
}

// copyPrivate copies src to dst through a synced 0600 temporary file in
// dst's folder, renamed into place.
func copyPrivate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmpName, dst)
	}
	if err != nil {
		os.Remove(tmpName)
		return err
	}
	return syncFile(dir)
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
