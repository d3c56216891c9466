package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// importSettings are what the import changes on its connection, each with
// the statement that puts it back.
var importSettings = []struct{ set, restore string }{
	// The de-duplication table is connection-local (TEMP) and lives only
	// as long as the import.
	{`CREATE TEMP TABLE IF NOT EXISTS import_seen (email TEXT PRIMARY KEY) WITHOUT ROWID`, `DROP TABLE IF EXISTS temp.import_seen`},
	// A large import touches the address index all over; a bigger page
	// cache for this one connection avoids re-reading index pages per
	// batch.
	{`PRAGMA cache_size = -32768`, `PRAGMA cache_size = -2000`},
	// Checkpoint less often while importing: each checkpoint copies pages
	// back into the database file and syncs it.
	{`PRAGMA wal_autocheckpoint = 16384`, `PRAGMA wal_autocheckpoint = 1000`},
	// Subscriptions and events are derived inside each batch from rows the
	// same transaction just inserted, so the foreign-key probes (two per
	// row) cannot fail; skipping them on this connection is a large share
	// of the import's cost.
	{`PRAGMA foreign_keys = OFF`, `PRAGMA foreign_keys = ON`},
}

// importConn takes one connection for the whole import and applies
// importSettings to it. release puts every applied setting back, in
// reverse order, and returns the connection to the pool. If a setting
// cannot be put back, release discards the connection instead, so that no
// later query runs on it with foreign keys off, and reports why.
func (s *Store) importConn(ctx context.Context) (*sql.Conn, func() error, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	applied := 0
	release := func() error {
		rctx := context.WithoutCancel(ctx)
		var errs []error
		for i := applied - 1; i >= 0; i-- {
			if _, err := conn.ExecContext(rctx, importSettings[i].restore); err != nil {
				errs = append(errs, fmt.Errorf("import: restore connection setting (%s): %w", importSettings[i].restore, err))
			}
		}
		if len(errs) > 0 {
			// ErrBadConn from Raw makes database/sql close the connection
			// rather than return it to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
		return errors.Join(errs...)
	}
	for _, st := range importSettings {
		if _, err := conn.ExecContext(ctx, st.set); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("import: %w", err), release())
		}
		applied++
	}
	return conn, release, nil
}
