package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// CheckCampaignCounts recounts every campaign's deliveries by status, and
// its sent and failed ones by recipient domain, the slow way and compares
// them with campaign_counts and campaign_domains, which the statements
// that change deliveries keep (countMoves). Tests call it after driving
// the ledger; it returns an error naming each campaign, status and
// domain that differ.
func (s *Store) CheckCampaignCounts(ctx context.Context) error {
	problems, err := s.checkStatusCounts(ctx)
	if err != nil {
		return err
	}
	domains, err := s.checkDomainCounts(ctx)
	if err != nil {
		return err
	}
	problems = append(problems, domains...)
	if len(problems) > 0 {
		return fmt.Errorf("campaign counts differ: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkDomainCounts compares campaign_domains' sent and failed with a
// recount (its deferrals and bounces are history: nothing to recount).
func (s *Store) checkDomainCounts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `
		WITH real AS (
			SELECT d.campaign_id, COALESCE(lower(substr(s.email, instr(s.email, '@') + 1)), '') AS domain,
			       sum(d.status = `+sqlSent+`) AS sent, sum(d.status = `+sqlFailed+`) AS failed
			FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
			WHERE d.status IN (`+sqlSent+`, `+sqlFailed+`) GROUP BY 1, 2),
		kept AS (SELECT campaign_id, domain, sent, failed FROM (`+CampaignDomainsSQL()+`) WHERE sent <> 0 OR failed <> 0)
		SELECT printf('campaign %d domain %s (kept/counted): sent %d/%d failed %d/%d', campaign_id, domain,
		              max(k_sent), max(r_sent), max(k_failed), max(r_failed))
		FROM (SELECT campaign_id, domain, sent AS k_sent, failed AS k_failed, 0 AS r_sent, 0 AS r_failed FROM kept
		      UNION ALL SELECT campaign_id, domain, 0, 0, sent, failed FROM real)
		GROUP BY campaign_id, domain HAVING max(k_sent) <> max(r_sent) OR max(k_failed) <> max(r_failed)`)
	if err != nil {
		return nil, fmt.Errorf("check campaign domains: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("check campaign domains: %w", err)
		}
		problems = append(problems, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check campaign domains: %w", err)
	}
	return problems, nil
}

func (s *Store) checkStatusCounts(ctx context.Context) ([]string, error) {
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
		return nil, fmt.Errorf("check campaign counts: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var id int64
		var diff string
		if err := rows.Scan(&id, &diff); err != nil {
			return nil, fmt.Errorf("check campaign counts: %w", err)
		}
		problems = append(problems, fmt.Sprintf("campaign %d (kept/counted): %s", id, diff))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check campaign counts: %w", err)
	}
	return problems, nil
}
