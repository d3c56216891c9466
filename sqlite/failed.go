package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// failureKind classifies the failed delivery d in SQL, from what the
// ledger and the bounces table hold; older rows classify the same way. A
// removed person's failure is "removed" whatever its reply, so that a
// retry leaves it: there is no one to send to, and their domain, which the
// per-domain counts took the failure under, is gone with them.
const failureKind = `CASE
	WHEN NOT EXISTS (SELECT 1 FROM subscribers s_ WHERE s_.id = d.subscriber_id) THEN '` + string(subscribers.FailRemoved) + `'
	WHEN EXISTS (SELECT 1 FROM bounces b WHERE b.campaign_id = d.campaign_id AND b.delivery_id = d.id
		AND b.kind IN ('` + string(subscribers.BounceHard) + `', '` + string(subscribers.BounceSoft) + `')) THEN '` + string(subscribers.FailBounce) + `'
	WHEN d.last_error LIKE '` + subscribers.GaveUpPrefix + `%' OR d.smtp_code BETWEEN 400 AND 499 THEN '` + string(subscribers.FailTemporary) + `'
	WHEN d.smtp_code >= 500 THEN '` + string(subscribers.FailRefused) + `'
	ELSE '` + string(subscribers.FailInvalid) + `' END`

// FindFailedDeliveries returns a campaign's failed deliveries in the order
// they were created.
func (s *Store) FindFailedDeliveries(ctx context.Context, campaignID int64) ([]subscribers.FailedDelivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.subscriber_id, COALESCE(s.email, ''), COALESCE(s.name, ''),
		`+failureKind+`, d.attempts, d.smtp_code, d.last_error, d.relay, d.updated_at
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
		WHERE +d.campaign_id = ? AND d.status = `+sqlFailed+` ORDER BY d.id`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("failed deliveries of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	var out []subscribers.FailedDelivery
	for rows.Next() {
		var f subscribers.FailedDelivery
		var at string
		if err := rows.Scan(&f.DeliveryID, &f.SubscriberID, &f.Email, &f.Name, &f.Kind, &f.Attempts, &f.SMTPCode,
			&f.Error, &f.Relay, &at); err != nil {
			return nil, fmt.Errorf("failed deliveries of campaign %d: %w", campaignID, err)
		}
		f.FailedAt = parseTime(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// RetryFailed queues again, with their attempts reset, the deliveries of
// a campaign that failed for temporary reasons, and reopens the campaign
// so that the next send resumes it. Bounces, refusals and invalid
// messages stay failed. Running it twice re-queues nothing more.
func (s *Store) RetryFailed(ctx context.Context, campaignID int64) (subscribers.RetryResult, error) {
	res := subscribers.RetryResult{Kept: map[subscribers.FailureKind]int{}}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+failureKind+`, count(*) FROM deliveries d
			WHERE +d.campaign_id = ? AND d.status = `+sqlFailed+` GROUP BY 1`, campaignID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var kind subscribers.FailureKind
			var n int
			if err := rows.Scan(&kind, &n); err != nil {
				rows.Close()
				return err
			}
			if kind != subscribers.FailTemporary {
				res.Kept[kind] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := formatTime(s.now())
		const temporary = `+d.campaign_id = ? AND d.status = ` + sqlFailed + ` AND ` + failureKind + ` = '` + string(subscribers.FailTemporary) + `'`
		n, err := s.moveDeliveries(ctx, tx, subscribers.DeliveryQueued, temporary, []any{campaignID},
			`UPDATE deliveries AS d SET status = `+sqlQueued+`, attempts = 0, next_attempt_at = NULL, updated_at = ? WHERE `+temporary, now, campaignID)
		if err != nil {
			return err
		}
		res.Requeued = int(n)
		if n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = `+sqlCampaignSending+`, pause_reason = '', finished_at = NULL, updated_at = ?
			WHERE id = ?`, now, campaignID)
		return err
	})
	if err != nil {
		return subscribers.RetryResult{}, fmt.Errorf("retry failed deliveries of campaign %d: %w", campaignID, err)
	}
	return res, nil
}
