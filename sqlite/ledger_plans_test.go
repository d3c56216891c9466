package sqlite

import (
	"context"
	"strings"
	"testing"
)

// TestLedgerPlans: every ledger statement finds its delivery by rowid and
// scans no table, though its values are bound as `+?`, which the planner
// does not look into (ledger_statements.go).
func TestLedgerPlans(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	for q, byHint := range ledgerStatements {
		for hinted, byStatus := range byHint {
			for _, stmt := range byStatus {
				rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+stmt, make([]any, strings.Count(stmt, "?"))...)
				if err != nil {
					t.Fatalf("query %d hinted %d: %v", q, hinted, err)
				}
				var plan []string
				for rows.Next() {
					var id, parent, unused int
					var detail string
					if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, detail)
				}
				rows.Close()
				all := strings.Join(plan, "; ")
				if !strings.Contains(all, "SEARCH deliveries USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(all, "SCAN ") {
					t.Errorf("query %d hinted %d: plan %q; want the delivery by rowid and no scan\n%s", q, hinted, all, stmt)
				}
				if q == int(qBegin) && !strings.Contains(all, "SEARCH ss USING PRIMARY KEY (list_id=? AND subscriber_id=?)") {
					t.Errorf("begin: plan %q; want the subscription by its key", all)
				}
			}
		}
	}
}
