package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// CheckCampaignCounts recounts every campaign's deliveries by status the
// slow way and compares them with campaign_counts, which triggers keep.
// Tests call it after driving the ledger; it returns an error naming each
// campaign and status that differ.
func (s *Store) CheckCampaignCounts(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `
		WITH real AS (
			SELECT campaign_id, sum(status = `+sqlQueued+`) AS queued, sum(status = `+sqlSending+`) AS sending,
			       sum(status = `+sqlSent+`) AS sent, sum(status = `+sqlDeferred+`) AS deferred,
			       sum(status = `+sqlFailed+`) AS failed, sum(status = `+sqlSkipped+`) AS skipped,
			       COALESCE(min(CASE WHEN status = `+sqlSent+` THEN sent_at END), '') AS first,
			       COALESCE(max(CASE WHEN status = `+sqlSent+` THEN sent_at END), '') AS last
			FROM deliveries GROUP BY campaign_id)
		SELECT r.campaign_id,
		       printf('queued %d/%d sending %d/%d sent %d/%d deferred %d/%d failed %d/%d skipped %d/%d first %s/%s last %s/%s',
		              COALESCE(c.queued, -1), r.queued, COALESCE(c.sending, -1), r.sending, COALESCE(c.sent, -1), r.sent,
		              COALESCE(c.deferred, -1), r.deferred, COALESCE(c.failed, -1), r.failed, COALESCE(c.skipped, -1), r.skipped,
		              COALESCE(c.first_sent_at, ''), r.first, COALESCE(c.last_sent_at, ''), r.last)
		FROM real r LEFT JOIN campaign_counts c ON c.campaign_id = r.campaign_id
		WHERE c.campaign_id IS NULL OR c.queued <> r.queued OR c.sending <> r.sending OR c.sent <> r.sent
		   OR c.deferred <> r.deferred OR c.failed <> r.failed OR c.skipped <> r.skipped
		   OR COALESCE(c.first_sent_at, '') <> r.first OR COALESCE(c.last_sent_at, '') <> r.last`)
	if err != nil {
		return fmt.Errorf("check campaign counts: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var id int64
		var diff string
		if err := rows.Scan(&id, &diff); err != nil {
			return fmt.Errorf("check campaign counts: %w", err)
		}
		problems = append(problems, fmt.Sprintf("campaign %d (kept/counted): %s", id, diff))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check campaign counts: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("campaign counts differ: %s", strings.Join(problems, "; "))
	}
	return nil
}
