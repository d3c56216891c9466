package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// maxReportAddresses bounds the addresses kept with one unattributed
// report: enough to review it, not a copy of a forged list.
const maxReportAddresses = 20

// RecordUnattributed stores a report for review. It reports whether a
// report with the same key was recorded before (nothing changed then).
func (s *Store) RecordUnattributed(ctx context.Context, r subscribers.UnattributedReport) (duplicate bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		duplicate, err = s.recordUnattributed(ctx, tx, r)
		return err
	})
	return duplicate, err
}

func (s *Store) recordUnattributed(ctx context.Context, tx *sql.Tx, r subscribers.UnattributedReport) (bool, error) {
	if r.Kind != subscribers.BounceHard && r.Kind != subscribers.BounceSoft && r.Kind != subscribers.BounceComplaint {
		return false, fmt.Errorf("unattributed report kind %q: %w", r.Kind, subscribers.ErrInvalid)
	}
	addrs := make([]string, 0, min(len(r.Addresses), maxReportAddresses))
	for _, a := range r.Addresses {
		if len(addrs) == maxReportAddresses {
			break
		}
		if a = subscribers.NormalizeEmail(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	js, err := json.Marshal(addrs)
	if err != nil {
		return false, err
	}
	var key any
	if r.Key != "" {
		key = r.Key
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO unattributed_reports (kind, source, source_key, reason, recipients, addresses, status, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source_key) DO NOTHING`,
		r.Kind, r.Source, key, r.Reason, max(r.Recipients, len(addrs)), string(js), r.Status, r.Detail, formatTime(s.now()))
	if err != nil {
		return false, fmt.Errorf("record unattributed report: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 0, nil
}

// unattributedKeySeen reports whether a report with key was recorded as
// unattributed. Such a report stays unattributed when processed again,
// even if its addresses have been mailed since: the same message must
// always have the same effect.
func unattributedKeySeen(ctx context.Context, q queryer, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM unattributed_reports WHERE source_key = ?`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("look up unattributed report: %w", err)
	}
	return n > 0, nil
}

// UnattributedReports returns up to limit reports recorded since since
// (zero: all), newest first.
func (s *Store) UnattributedReports(ctx context.Context, since time.Time, limit int) ([]subscribers.UnattributedReport, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, source, COALESCE(source_key, ''), reason, recipients, addresses, status, detail, created_at
		FROM unattributed_reports WHERE created_at >= ? ORDER BY id DESC LIMIT ?`, formatTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list unattributed reports: %w", err)
	}
	defer rows.Close()
	var out []subscribers.UnattributedReport
	for rows.Next() {
		var r subscribers.UnattributedReport
		var addrs, created string
		if err := rows.Scan(&r.ID, &r.Kind, &r.Source, &r.Key, &r.Reason, &r.Recipients, &addrs, &r.Status, &r.Detail, &created); err != nil {
			return nil, fmt.Errorf("list unattributed reports: %w", err)
		}
		if err := json.Unmarshal([]byte(addrs), &r.Addresses); err != nil {
			return nil, fmt.Errorf("unattributed report %d: addresses: %w", r.ID, err)
		}
		r.CreatedAt = parseTime(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// addressMatch decides whether a report that names b.Email but no delivery
// may be applied to sub: only when the report names few recipients and
// Dispatch sent sub a message within the window. It returns why not, or "".
func addressMatch(ctx context.Context, q queryer, sub *subscribers.Subscriber, b subscribers.Bounce, p subscribers.BouncePolicy, now time.Time) (string, error) {
	if n := max(b.ReportRecipients, 1); n > p.MaxAddressRecipients {
		return fmt.Sprintf("no delivery token, and the report names %d recipients (address matching allows at most %d)",
			n, p.MaxAddressRecipients), nil
	}
	if sub == nil {
		return "no delivery token, and no subscriber has the reported address", nil
	}
	since := formatTime(now.Add(-p.AddressMatchWindow))
	// Few campaigns were running within the window; each is searched
	// through the (campaign_id, subscriber_id) index. CROSS JOIN keeps
	// SQLite from scanning deliveries instead (there is no index on
	// subscriber_id or sent_at, to keep the ledger's writes cheap).
	var sent bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns c
			CROSS JOIN deliveries d ON d.campaign_id = c.id AND d.subscriber_id = ?
			WHERE (c.finished_at IS NULL OR c.finished_at >= ?) AND d.sent_at >= ?)`,
		sub.ID, since, since).Scan(&sent); err != nil {
		return "", fmt.Errorf("find recent deliveries to subscriber %d: %w", sub.ID, err)
	}
	if !sent {
		return fmt.Sprintf("no delivery token, and the address was not sent a message within %s", formatWindow(p.AddressMatchWindow)), nil
	}
	return "", nil
}

// formatWindow writes whole days as such ("14 days"), else a duration.
func formatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return strings.TrimSuffix(d.String(), "0s")
}
