package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/internal/ctxtime"
)

// BackupCounts are the row counts a backup is checked and reported by.
type BackupCounts struct {
	Subscribers int64 `json:"subscribers"`
	Lists       int64 `json:"lists"`
	Campaigns   int64 `json:"campaigns"`
	Deliveries  int64 `json:"deliveries"`
	Events      int64 `json:"events"`
}

// BackupInfo describes a verified backup file.
type BackupInfo struct {
	Path      string       `json:"path"`
	Bytes     int64        `json:"bytes"`
	Seconds   float64      `json:"seconds"`
	Integrity string       `json:"integrity"`
	Schema    string       `json:"schema"`
	Counts    BackupCounts `json:"counts"`
	// NewestEvent is the time of the last event in the file, zero when it
	// has none: restore compares it with the live database's.
	NewestEvent time.Time `json:"newest_event,omitzero"`
}

// BackupOptions is how a backup shares the disk with the live database.
type BackupOptions struct {
	// MaxBytesPerSecond caps the rate the copy is written at, to leave
	// the disk idle part of the time for the live database's fsyncs;
	// 0 writes as fast as the disk takes it.
	MaxBytesPerSecond int64
	// BusyBytesPerSecond caps the rate pages are copied at while another
	// connection writes the database heavily (see busyPace); 0 copies at
	// full speed whatever else runs.
	BusyBytesPerSecond int64
}

// Backup writes a consistent copy of the database at src to dst and checks
// it before returning. It never creates src. The copy is SQLite's online
// backup API inside one read transaction: in WAL mode that takes no lock
// that writers wait for, and, all its steps reading one snapshot, it is
// never restarted by a sender's commit. The pages are copied into the page
// cache, at full speed on a quiet database and no faster than
// opt.BusyBytesPerSecond while others write it heavily (see busyPace; while the
// snapshot is held, the live database's WAL cannot be restarted and grows,
// which slows a send too), and only then written out to the disk, a
// megabyte at a time (see writeOut). It copies pages rather than rebuilding every table
// and index as VACUUM INTO does, which halves its CPU time. The copy and
// its check run on an OS thread of the lowest CPU and I/O priority, so that
// on a busy machine they take only the time a send or a one-click
// unsubscribe leaves idle. dst is written under a temporary name in its
// folder, checked, synced and only then renamed, with mode 0600.
func Backup(ctx context.Context, src, dst string, opt BackupOptions) (BackupInfo, error) {
	start := time.Now()
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("back up %s: %w", src, err)
	}
	db, err := openRaw(src, "rw")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("back up %s: %w", src, err)
	}
	defer db.Close()
	info, err := onIdleThread(func() (BackupInfo, error) { return copyInto(ctx, db, src, dst, opt) })
	if err != nil {
		return BackupInfo{}, fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	info.Seconds = time.Since(start).Seconds()
	return info, nil
}

// copyInto copies db, the database file at src, into dst through a 0600
// temporary file that is renamed over dst only once it is complete,
// checked and synced. It returns what the check found, under dst's name.
func copyInto(ctx context.Context, db *sql.DB, src, dst string, opt BackupOptions) (BackupInfo, error) {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return BackupInfo{}, err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		tmp.Close()
		if !ok {
			os.Remove(tmpName)
		}
	}()
	// CreateTemp made it 0600 and empty, which SQLite opens as a new
	// database; the mode then holds whatever the umask. tmp stays open,
	// beside SQLite's own descriptor, to write the copy out, and is closed
	// only after SQLite's: closing any descriptor of a file drops the
	// process's POSIX locks on it, SQLite's included.
	// A long copy hands its pages to the disk as it goes (see writeBehind);
	// a short one, the usual case, leaves it all to writeOut.
	wb := newWriteBehind(tmp)
	pace, err := newCopyPace(ctx, db, src, opt.BusyBytesPerSecond)
	if err != nil {
		return BackupInfo{}, err
	}
	between := func() error {
		if wb != nil {
			if err := wb.step(); err != nil {
				return err
			}
		}
		if pace != nil {
			return pace.after(ctx)
		}
		return nil
	}
	if err := copyPages(ctx, db, tmpName, backupStepPages, between); err != nil {
		return BackupInfo{}, fmt.Errorf("copy: %w", err)
	}
	// While the copy's read transaction was open, no checkpoint could pass
	// it, so the WAL grew by everything written meanwhile. Left alone, the
	// first commit after the copy would fold all of it back (and fsync)
	// inside its own call: a send's ledger write or a one-click unsubscribe
	// stalled for hundreds of milliseconds. Done here, it runs beside the
	// writers: a PASSIVE checkpoint takes no lock they wait for, and theirs
	// skip while this one runs.
	_, _ = db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	// The copy is in the page cache, not yet on disk. It is written out
	// only now, paced, with the read transaction closed: written out step
	// by step during the copy, it kept the snapshot open as long as the
	// disk took, and the send slowed more (docs/benchmarks.md).
	if err := writeOut(ctx, tmp, opt.MaxBytesPerSecond); err != nil {
		return BackupInfo{}, fmt.Errorf("write out: %w", err)
	}
	info, err := CheckBackup(ctx, tmpName)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := tmp.Sync(); err != nil {
		return BackupInfo{}, err
	}
	dropCache(tmp)
	if err := os.Rename(tmpName, dst); err != nil {
		return BackupInfo{}, err
	}
	ok = true
	info.Path = dst
	return info, syncFile(dir)
}

// pace sleeps until done bytes, written since start, are no more than
// rate bytes a second (no cap when rate is 0).
func pace(ctx context.Context, done int64, start time.Time, rate int64) error {
	if rate <= 0 {
		return nil
	}
	due := time.Duration(float64(done) / float64(rate) * float64(time.Second))
	wait := due - time.Since(start)
	if wait <= 0 {
		return nil
	}
	return ctxtime.Sleep(ctx, wait)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// openRaw opens a database file without creating it and without applying
// migrations: a backup must be of the schema as it is.
func openRaw(path, mode string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", mode)
	q.Set("_busy_timeout", "10000")
	if mode == "ro" {
		// A backup file has no writer and no -wal: immutable reads it
		// without creating a -shm beside it.
		q.Set("immutable", "1")
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// CheckBackup verifies a backup file: SQLite's integrity check, a schema
// this binary knows, and that the tables can be counted. It returns what
// it found, or an error saying why the file must not be restored.
func CheckBackup(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("check backup %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return BackupInfo{}, fmt.Errorf("check backup %s: not a regular file", path)
	}
	db, err := openRaw(path, "ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("check backup %s: %w", path, err)
	}
	defer db.Close()
	info := BackupInfo{Path: path, Bytes: st.Size()}
	if err := checkDB(ctx, db, &info); err != nil {
		return BackupInfo{}, fmt.Errorf("check backup %s: %w", path, err)
	}
	return info, nil
}

func checkDB(ctx context.Context, db *sql.DB, info *BackupInfo) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		problems = append(problems, line)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	info.Integrity = "ok"

	schema, err := checkSchema(ctx, db)
	if err != nil {
		return err
	}
	info.Schema = schema
	for _, c := range []struct {
		table string
		n     *int64
	}{
		{"subscribers", &info.Counts.Subscribers},
		{"lists", &info.Counts.Lists},
		{"campaigns", &info.Counts.Campaigns},
		{"deliveries", &info.Counts.Deliveries},
		{"events", &info.Counts.Events},
	} {
		// Older schemas lack some tables (campaigns came in 0003): their
		// count is zero.
		var exists int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, c.table).Scan(&exists); err != nil {
			return fmt.Errorf("count %s: %w", c.table, err)
		}
		if exists == 0 {
			continue
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(c.n); err != nil {
			return fmt.Errorf("count %s: %w", c.table, err)
		}
	}
	var newest sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(created_at) FROM events`).Scan(&newest); err != nil {
		return fmt.Errorf("read newest event: %w", err)
	}
	if newest.Valid {
		info.NewestEvent = parseTime(newest.String)
	}
	return nil
}

// checkSchema returns the newest migration the file has, and fails if it
// has none or one this binary does not know.
func checkSchema(ctx context.Context, db *sql.DB) (string, error) {
	known, err := migrationNames()
	if err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return "", fmt.Errorf("read schema version: %w (not a Dispatch database?)", err)
	}
	defer rows.Close()
	newest := ""
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", fmt.Errorf("read schema version: %w", err)
		}
		if !known[n] {
			return "", fmt.Errorf("schema has migration %s that this dispatch does not know: it was written by a newer version", n)
		}
		newest = n
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read schema version: %w", err)
	}
	if newest == "" {
		return "", errors.New("schema_migrations is empty: not a Dispatch database")
	}
	return newest, nil
}

// migrationNames is the set of migration file names built into the binary.
func migrationNames() (map[string]bool, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	known := make(map[string]bool, len(names))
	for _, n := range names {
		known[strings.TrimPrefix(n, "migrations/")] = true
	}
	return known, nil
}
