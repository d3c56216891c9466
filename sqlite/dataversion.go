package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// dataVersion reads PRAGMA data_version on a connection of its own. The
// pragma's value changes when another connection commits, so the
// connection that asks must be one that never writes.
type dataVersion struct {
	mu   sync.Mutex
	conn *sql.Conn // nil until first use, and after a failure or Close
	stmt *sql.Stmt
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
		stmt, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
		if err != nil {
			conn.Close()
			return 0, fmt.Errorf("read data version: %w", err)
		}
		d.conn, d.stmt = conn, stmt
	}
	var v int64
	if err := d.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
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
	if d.conn != nil {
		d.stmt.Close()
		d.conn.Close()
		d.conn, d.stmt = nil, nil
	}
}
