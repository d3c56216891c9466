package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// sqliteTransaction is SQLite's authorizer code for BEGIN, COMMIT and
// ROLLBACK, which go-sqlite3 compiles every time (sqlite3_exec).
const sqliteTransaction = 22

// TestLedgerStatementsCompileOnce holds the ledger's statements to being
// compiled once per connection, not once per message: SQLite compiles a
// statement again when a value it marked is bound anew, and go-sqlite3
// binds anew every time (ledger_statements.go). The authorizer, which
// SQLite calls only while it compiles, counts the compiling.
func TestLedgerStatementsCompileOnce(t *testing.T) {
	ctx := context.Background()
	const n = 40
	s, l, c, ds := queuedCampaign(t, n, func(i int) string { return fmt.Sprintf("u%d@example%d.com", i, i%3) })
	db := sqlite.DB(s)
	db.SetMaxOpenConns(1) // the connection whose compiling is counted
	var mu sync.Mutex
	var compiled []string
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		dc.(*sqlite3.SQLiteConn).RegisterAuthorizer(func(op int, a, b, _ string) int {
			if op != sqliteTransaction {
				mu.Lock()
				compiled = append(compiled, fmt.Sprintf("%d %s.%s", op, a, b))
				mu.Unlock()
			}
			return sqlite3.SQLITE_OK
		})
		return nil
	})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pair := func(i int) {
		t.Helper()
		ops := []subscribers.LedgerOp{
			{Kind: subscribers.OpSent, DeliveryID: ds[i].ID, At: now, SMTPCode: 250, Relay: "r"},
			{Kind: subscribers.OpBegin, DeliveryID: ds[i+1].ID, ListID: l.ID, At: now},
		}
		for j, d := range []subscribers.Delivery{ds[i], ds[i+1]} {
			ops[j].CampaignID, ops[j].Domain = c.ID, subscribers.ReportDomain(d.Email)
		}
		if res, err := s.ApplyLedgerBuffered(ctx, ops); err != nil || res[1] != nil {
			t.Fatal(err, res)
		}
	}
	if _, err := s.ApplyLedgerBuffered(ctx, []subscribers.LedgerOp{{Kind: subscribers.OpBegin, DeliveryID: ds[0].ID, ListID: l.ID, At: now}}); err != nil {
		t.Fatal(err)
	}
	pair(0) // compiles what a message needs
	mu.Lock()
	first := len(compiled)
	mu.Unlock()
	for i := 1; i < n-1; i++ {
		pair(i)
	}
	mu.Lock()
	defer mu.Unlock()
	if first == 0 {
		t.Fatal("the authorizer saw nothing compiled: the test counts nothing")
	}
	if again := compiled[first:]; len(again) > 0 {
		t.Errorf("%d commits compiled statements again, %d authorizations: %v", n-2, len(again), again[:min(len(again), 20)])
	}
}
