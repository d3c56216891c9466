package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

const deliveryColumns = `d.id, d.campaign_id, d.subscriber_id, d.status, d.attempts,
	COALESCE(s.email, ''), COALESCE(s.name, ''), COALESCE(s.attributes, '{}'),
	COALESCE(d.next_attempt_at, ''), COALESCE(d.sent_at, ''), d.smtp_code, d.last_error`

func scanDeliveries(rows *sql.Rows) ([]subscribers.Delivery, error) {
	defer rows.Close()
	var out []subscribers.Delivery
	for rows.Next() {
		var d subscribers.Delivery
		var attrs, next, sent string
		if err := rows.Scan(&d.ID, &d.CampaignID, &d.SubscriberID, &d.Status, &d.Attempts,
			&d.Email, &d.Name, &attrs, &next, &sent, &d.SMTPCode, &d.LastError); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(attrs), &d.Attributes); err != nil {
			return nil, fmt.Errorf("decode attributes of subscriber %d: %w", d.SubscriberID, err)
		}
		d.NextAttempt, d.SentAt = parseTime(next), parseTime(sent)
		out = append(out, d)
	}
	return out, rows.Err()
}

// NextQueued returns up to limit queued deliveries with id > after, in id
// order (keyset pages, so a long campaign never holds a read cursor open).
func (s *Store) NextQueued(ctx context.Context, campaignID, after int64, limit int) ([]subscribers.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
		WHERE +d.campaign_id = ? AND d.status = `+sqlQueued+` AND d.id > ?
		ORDER BY d.id LIMIT ?`, campaignID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("next deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DueDeferred returns deferred deliveries whose retry time has come.
func (s *Store) DueDeferred(ctx context.Context, campaignID int64, now time.Time, limit int) ([]subscribers.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.campaign_id = ? AND d.status = `+sqlDeferred+` AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at LIMIT ?`, campaignID, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// NextRetry returns when the earliest deferred delivery is due and how many
// are deferred; zero time when none are.
func (s *Store) NextRetry(ctx context.Context, campaignID int64) (due time.Time, deferred int, err error) {
	var next string
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(min(next_attempt_at), ''), count(*) FROM deliveries
		WHERE campaign_id = ? AND status = `+sqlDeferred, campaignID).Scan(&next, &n)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("next retry: %w", err)
	}
	return parseTime(next), n, nil
}

// FindDelivery returns one delivery (for attributing bounces) or ErrNotFound.
func (s *Store) FindDelivery(ctx context.Context, id int64) (*subscribers.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("find delivery %d: %w", id, err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("find delivery %d: %w", id, err)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("delivery %d: %w", id, subscribers.ErrNotFound)
	}
	return &ds[0], nil
}

// markPossibleDuplicate records that a delivery's message may have reached
// the server although no reply said so, on the delivery and in its
// campaign's count.
func markPossibleDuplicate(ctx context.Context, tx queryer, deliveryID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET recovered = 1 WHERE id = ?`, deliveryID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE campaigns SET possible_duplicates = possible_duplicates + 1
		WHERE id = (SELECT campaign_id FROM deliveries WHERE id = ?)`, deliveryID)
	return err
}
