package sqlite

import "context"

// checkpointNoWait folds the WAL back into the database file if it can at
// once, and leaves it otherwise. A TRUNCATE checkpoint takes the write lock
// and then waits, for the whole busy timeout, for every reader to reach the
// newest snapshot. Litestream keeps a read transaction open for good, so
// under Litestream a waiting checkpoint stalled every command's exit by the
// busy timeout (10 s) and locked serve's and send's writers out meanwhile.
// With no busy timeout on its connection it waits for nobody: a reader in
// the way makes it checkpoint what it can and stop.
func (s *Store) checkpointNoWait() {
	ctx := context.Background()
	c, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return
	}
	_, _ = c.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}
