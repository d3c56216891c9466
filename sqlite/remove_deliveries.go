package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
)

// deliveriesOf selects a subscriber's deliveries (?1) through the unique
// index on (campaign_id, subscriber_id), one probe per campaign: there is
// no index on subscriber_id alone, and the ledger's inserts need none.
// CROSS JOIN keeps campaigns the outer loop; left to itself the planner
// scans the whole index.
const deliveriesOf = `SELECT d.id FROM campaigns c CROSS JOIN deliveries d ON d.campaign_id = c.id AND d.subscriber_id = ?1`

// redactDeliveries keeps a removed subscriber's deliveries, which the
// ledger and the campaigns' counts need, but takes their address out of
// the relays' replies ("550 5.1.1 <ada@example.com>: user unknown"). What
// is left groups in the campaign report as before, since the report
// leaves the recipient out of a reply anyway.
func redactDeliveries(ctx context.Context, tx *sql.Tx, subID int64, norm string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, last_error FROM deliveries
		WHERE id IN (`+deliveriesOf+`) AND last_error <> ''`, subID)
	if err != nil {
		return fmt.Errorf("redact deliveries: %w", err)
	}
	type reply struct {
		id   int64
		text string
	}
	var replies []reply
	for rows.Next() {
		var r reply
		if err := rows.Scan(&r.id, &r.text); err != nil {
			rows.Close()
			return fmt.Errorf("redact deliveries: %w", err)
		}
		replies = append(replies, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("redact deliveries: %w", err)
	}
	for _, r := range replies {
		text := redactReply(r.text, norm)
		if text == r.text {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET last_error = ? WHERE id = ?`, text, r.id); err != nil {
			return fmt.Errorf("redact delivery %d: %w", r.id, err)
		}
	}
	return nil
}

// redactReply takes every address out of a reply, and the removed one
// wherever it stands, in any case.
func redactReply(text, norm string) string {
	text = recipientInReply.ReplaceAllString(text, "")
	if norm == "" {
		return text
	}
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(norm)).ReplaceAllString(text, "")
}
