package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
)

// dataVersion reads PRAGMA data_version on a connection of its own. The
// pragma's value changes when another connection commits, so the
// connection that asks must be one that never writes.
type dataVersion struct {
	mu   sync.Mutex
	conn *sql.Conn // nil until first use, and after a failure or Close
	// stmt is the pragma, prepared on conn's driver connection once.
	// database/sql's own statements cost about as much again as the
	// pragma itself, and this runs on every archive request.
	stmt driver.Stmt
	dest []driver.Value
}

// DataVersion returns a number that changes whenever a change to the
// database is committed, by this process or another one (the CLI beside
// `dispatch serve`), and not otherwise. A cache of what the database said
// may keep serving while the number stays the same. Only equality means
// anything: the number is not an order, and it starts afresh when the
// store is reopened.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	d := &s.version
	d.mu.Lock()
	defer d.mu.Unlock()
	// The read takes microseconds: not worth interrupting, and go-sqlite3
	// starts a goroutine per query whose context can be cancelled.
	ctx = context.WithoutCancel(ctx)
	if d.conn == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("read data version: %w", err)
		}
		d.conn, d.dest = conn, make([]driver.Value, 1)
	}
	var v int64
	err := d.conn.Raw(func(dc any) error {
		if d.stmt == nil {
			st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, `PRAGMA data_version`)
			if err != nil {
				return err
			}
			d.stmt = st
		}
		rows, err := d.stmt.(driver.StmtQueryContext).QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		err = rows.Next(d.dest)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		var ok bool
		if v, ok = d.dest[0].(int64); !ok {
			return fmt.Errorf("data_version is %T", d.dest[0])
		}
		return nil
	})
	if err != nil {
		d.closeLocked()
		return 0, fmt.Errorf("read data version: %w", err)
	}
	return v, nil
}

// close gives the connection back, before the database closes.
func (d *dataVersion) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked()
}

func (d *dataVersion) closeLocked() {
	if d.conn == nil {
		return
	}
	if d.stmt != nil {
		// The statement belongs to the driver connection, reached only
		// inside Raw.
		_ = d.conn.Raw(func(any) error { return d.stmt.Close() })
		d.stmt = nil
	}
	// Discarded, not put back in the pool: it may be the one that failed.
	_ = d.conn.Raw(func(any) error { return driver.ErrBadConn })
	d.conn.Close()
	d.conn = nil
}
