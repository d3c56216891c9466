package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	// The store hard-codes the driver name, so the driver import lives here
	// rather than in main.
	_ "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// timeFormat is fixed-width so that text comparison orders times correctly.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Store is the SQLite-backed home of subscribers, lists and their history.
// It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	// lock is the shared lock on the database's lock file (dblock.go),
	// which keeps restore from swapping the file while this store is open.
	lock *os.File

	// Now returns the current time; tests replace it to pin timestamps.
	Now func() time.Time

	unsubOnce sync.Once
	unsub     *unsubscriber // started by the first Unsubscribe

	failures sync.Map     // campaign id → failureGroups (campaign_report.go)
	foldAt   int          // pending counts' length that folds them; 0: the default (count_pending.go)
	buffer   ledgerBuffer // counts held back by ApplyLedgerBuffered (ledger_buffer.go)
	holder   int64        // this store's mark on the campaigns whose counts it holds back (holderMark)
	version  dataVersion  // DataVersion's connection (dataversion.go)
}

// Open opens (creating if needed) the database file at path and applies any
// pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open database: path is empty")
	}
	q := url.Values{}
	// WAL lets readers (the web server, reports) run while a send writes.
	q.Set("_journal_mode", "WAL")
	// Writers queue for up to 10 s instead of failing at once with SQLITE_BUSY.
	q.Set("_busy_timeout", "10000")
	// SQLite ignores foreign keys unless asked, per connection.
	q.Set("_foreign_keys", "on")
	// Take the write lock when a transaction begins, so two writers never
	// deadlock upgrading from a read lock.
	q.Set("_txlock", "immediate")
	// NORMAL is durable across application crashes in WAL mode; only a power
	// loss can roll back the last commits, which the ledger tolerates.
	q.Set("_synchronous", "NORMAL")
	// Reuse compiled statements per connection: the send ledger runs the
	// same few statements thousands of times a second.
	q.Set("_stmt_cache_size", "64")
	// Deleted rows are overwritten with zeros, so that an erased person's
	// address and name do not linger in free pages of the file.
	q.Set("_secure_delete", "on")
	dsn := "file:" + path + "?" + q.Encode()

	if err := createPrivate(path); err != nil {
		return nil, err
	}
	lock, err := lockDB(path, false)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		closeLock(lock)
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, path: path, lock: lock, Now: time.Now, holder: holderMark()}
	if err := db.PingContext(ctx); err != nil {
		s.closeQuiet()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.closeQuiet()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	if err := restrictSidecars(path); err != nil {
		s.closeQuiet()
		return nil, err
	}
	return s, nil
}

// Close checkpoints the WAL and closes the database.
func (s *Store) Close() error {
	// Unsubscribes already queued are committed first: their callers are
	// waiting to hear they were.
	s.unsubOnce.Do(func() {}) // none starts after this
	if s.unsub != nil {
		s.unsub.close()
	}
	s.version.close()
	// Counts held back are written; were this to fail, the campaign's
	// next run counts them again (ledger_buffer.go).
	_ = s.FlushLedgerCounts(context.Background())
	// Folding the WAL back keeps the single-file promise after a clean exit.
	s.checkpointNoWait()
	err := s.db.Close()
	closeLock(s.lock)
	s.lock = nil
	return err
}

func (s *Store) closeQuiet() {
	s.db.Close()
	closeLock(s.lock)
}

func closeLock(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

func (s *Store) now() time.Time { return s.Now().UTC() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	applied := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		applied[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}

	if err := s.backupBeforeMigrating(ctx, names, applied); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		known[base] = true
		if applied[base] {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
				base, formatTime(s.now()))
			return err
		}); err != nil {
			return fmt.Errorf("apply %s: %w", base, err)
		}
	}
	for n := range applied {
		if !known[n] {
			return fmt.Errorf("database has migration %s that this dispatch does not know: it was written by a newer version", n)
		}
	}
	return nil
}

// inTx runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTxOn(ctx, s.db, fn)
}

// txBeginner is the pool or one connection of it.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTxOn is inTx on the pool or on a given connection.
func inTxOn(ctx context.Context, db txBeginner, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}
