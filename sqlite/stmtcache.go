package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// execCached runs q in tx as a statement prepared once per connection and
// kept. The ledger runs the same few statements for every message, and
// preparing one costs more than running it: SQLite compiles the statement
// and every trigger it fires each time, and go-sqlite3 keeps no statements
// of its own.
func (s *Store) execCached(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.cachedStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// cachedStmt returns the kept statement for q, preparing it on first use.
// database/sql prepares it again on each connection that runs it, once.
func (s *Store) cachedStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare statement: %w", err)
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// closeStmts closes the kept statements, before the database closes.
func (s *Store) closeStmts() {
	s.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		s.stmts.Delete(k)
		return true
	})
}
