package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// inConnTx is inTx for the ledger, which commits thousands of times a
// second: the transaction is begun and ended by statements on one
// connection of the pool. database/sql's Tx starts a goroutine for each
// transaction to watch its context, and ending it wakes that goroutine;
// on the send path that cost more than the ledger's own statements
// (docs/benchmarks.md). The statements run through go-sqlite3's cache of
// prepared statements, per connection (_stmt_cache_size).
//
// Whatever happens in fn, even a panic, the connection goes back to the
// pool outside any transaction, or is closed.
func (s *Store) inConnTx(ctx context.Context, fn func(tx queryer) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		endConnTx(conn)
		return fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			endConnTx(conn)
		}
	}()
	if err := fn(conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// endConnTx rolls back the transaction open on conn, if one is. A
// connection still in one afterwards is closed, not pooled: the next user
// would write into it.
func endConnTx(conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return driver.ErrBadConn
		}
		if c.AutoCommit() {
			return nil
		}
		// Background: the rollback must run even if the caller's context
		// has ended.
		_, err := c.ExecContext(context.Background(), `ROLLBACK`, nil)
		if err != nil || !c.AutoCommit() {
			return errors.Join(driver.ErrBadConn, err)
		}
		return nil
	})
}
