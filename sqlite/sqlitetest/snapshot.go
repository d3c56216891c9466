package sqlitetest

import (
	"context"
	"testing"
)

// HoldSnapshot opens a read transaction on the database file at path, as
// a backup's copy does for its whole length, and keeps it open until the
// returned func is called. While it is open the WAL cannot restart, so it
// grows by everything written meanwhile: benchmarks hold one to measure
// what that alone costs a writer.
func HoldSnapshot(tb testing.TB, path string) (release func()) {
	tb.Helper()
	ctx := context.Background()
	db := conn(tb, path, live)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	// BEGIN takes no snapshot until the first read.
	var n int
	if _, err = c.ExecContext(ctx, `BEGIN`); err == nil {
		err = c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n)
	}
	if err != nil {
		c.Close()
		db.Close()
		tb.Fatalf("hold a snapshot of %s: %v", path, err)
	}
	return func() {
		c.ExecContext(ctx, `ROLLBACK`)
		c.Close()
		db.Close()
	}
}
