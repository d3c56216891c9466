package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DB exposes the store's handle to this package's black-box tests, which
// check what only SQL can see (pragmas, triggers, raw rows). Nothing
// outside package sqlite gets it.
func DB(s *Store) *sql.DB { return s.db }

// referenceTables are the kept counts of migration 0014.
var referenceTables = []string{"campaign_counts", "campaign_minutes", "campaign_domains"}

// keptCounts selects the kept counts of table t as 0014 kept them: the
// columns of 0014, pending changes added (count_pending.go).
func keptCounts(t string) string {
	switch t {
	case "campaign_minutes":
		return settledSQL(minutesTable, "1")
	case "campaign_domains":
		return settledSQL(domainsTable, "1")
	}
	return `SELECT campaign_id, queued, sending, sent, deferred, failed, skipped, first_sent_at, last_sent_at FROM ` + t
}

// SetFoldPendingAt makes s fold a campaign's pending counts once they
// are longer than n bytes (count_pending.go).
func SetFoldPendingAt(s *Store, n int) { s.foldAt = n }

// PendingCounts returns campaign's pending counts as stored.
func PendingCounts(ctx context.Context, s *Store, campaign int64) (string, error) {
	var p string
	err := s.db.QueryRowContext(ctx, `SELECT pending FROM campaign_counts WHERE campaign_id = ?`, campaign).Scan(&p)
	return p, err
}

// InstallReferenceCounts gives s a second copy of the kept counts,
// ref_campaign_counts and so on, kept by migration 0014's triggers as
// they were before 0022 dropped some: every trigger of 0014, word for
// word, writing to the copies. Tests then hold the ledger's own counting
// to what the triggers did (CompareReferenceCounts).
func InstallReferenceCounts(ctx context.Context, s *Store) error {
	src, err := migrationFS.ReadFile("migrations/0014_campaign_counts.sql")
	if err != nil {
		return err
	}
	rename := func(q string) string {
		for _, t := range referenceTables {
			q = strings.ReplaceAll(q, t, "ref_"+t)
		}
		return q
	}
	tables := regexp.MustCompile(`(?s)CREATE TABLE campaign_\w+ \(.*?\)[^;]*;`).FindAllString(string(src), -1)
	triggers := regexp.MustCompile(`(?s)CREATE TRIGGER .*?\nEND;`).FindAllString(string(src), -1)
	if len(tables) != 3 || len(triggers) != 6 {
		return fmt.Errorf("0014 has %d tables and %d triggers; want 3 and 6", len(tables), len(triggers))
	}
	var stmts []string
	for _, q := range tables {
		stmts = append(stmts, rename(q))
	}
	for _, t := range referenceTables {
		stmts = append(stmts, `INSERT INTO ref_`+t+` `+keptCounts(t))
	}
	for _, q := range triggers {
		stmts = append(stmts, rename(q))
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// CompareReferenceCounts returns an error naming every row of the kept
// counts that differs from its reference copy. A per-minute or per-domain
// row of zeros is the same as no row.
func CompareReferenceCounts(ctx context.Context, s *Store) error {
	var diffs []string
	for _, t := range referenceTables {
		nonZero := `WHERE sent <> 0 OR deferred <> 0 OR failed <> 0`
		switch t {
		case "campaign_counts":
			nonZero = ``
		case "campaign_domains":
			nonZero += ` OR bounced <> 0`
		}
		for _, dir := range [][2]string{{t, "ref_" + t}, {"ref_" + t, t}} {
			from := func(t string) string {
				if strings.HasPrefix(t, "ref_") {
					return t
				}
				return `(` + keptCounts(t) + `)`
			}
			rows, err := s.db.QueryContext(ctx, `SELECT * FROM (SELECT * FROM `+from(dir[0])+` `+nonZero+` EXCEPT SELECT * FROM `+from(dir[1])+` `+nonZero+`)`)
			if err != nil {
				return err
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				var row []string
				for i, c := range cols {
					row = append(row, fmt.Sprintf("%s=%v", c, vals[i]))
				}
				diffs = append(diffs, fmt.Sprintf("only in %s: %s", dir[0], strings.Join(row, " ")))
			}
			rows.Close()
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("kept counts differ from 0014's triggers:\n%s", strings.Join(diffs, "\n"))
	}
	return nil
}

// DomainOf is the recipient domain of email as the store reads it in SQL
// (domainOf).
func DomainOf(ctx context.Context, s *Store, email string) (string, error) {
	var d string
	err := s.db.QueryRowContext(ctx, `SELECT `+strings.Replace(domainOf, "email", "?1", -1), email).Scan(&d)
	return d, err
}

// DropLedgerBuffer forgets the counts s holds back, as a process that
// dies does (ledger_buffer.go).
func DropLedgerBuffer(s *Store) {
	s.buffer.mu.Lock()
	defer s.buffer.mu.Unlock()
	s.buffer.reset()
}

// CountsUnflushed says whether campaign's counts are marked as held back
// by a process.
func CountsUnflushed(ctx context.Context, s *Store, campaign int64) (bool, error) {
	var u bool
	err := s.db.QueryRowContext(ctx, `SELECT unflushed <> 0 FROM campaign_counts WHERE campaign_id = ?`, campaign).Scan(&u)
	return u, err
}

// SetBufferCommits makes s's ledger buffer hold at most n commits.
func SetBufferCommits(s *Store, n int) { s.buffer.limit = n }

// SetBufferClock makes s's ledger buffer tell its age by clock.
func SetBufferClock(s *Store, clock func() time.Time) { s.buffer.clock = clock }

// BufferAge is how long the ledger's buffer holds counts back.
const BufferAge = bufferAge
