package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// bounceActors are the sources whose suppressions Unsuppress may undo: the
// SMTP reply at send time and DSN mail. Webhooks, complaints, unsubscribes
// and blocklists are somebody's decision and stay.
var bounceActors = []string{"smtp", "mail"}

// Unsuppress makes active again the subscribers that campaignID's bounces
// (at send time or by DSN) suppressed and that nothing has changed since:
// their status is still bounced, and the last change of it was that
// campaign's bounce. It records an event naming the admin's reason, and
// leaves list subscriptions alone, so whoever unsubscribed stays
// unsubscribed. With dryRun nothing changes. Running it twice restores
// nobody the second time.
func (s *Store) Unsuppress(ctx context.Context, campaignID int64, actor, reason string, dryRun bool) ([]subscribers.Unsuppressed, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("unsuppress: a reason is required: %w", subscribers.ErrInvalid)
	}
	if _, err := s.FindCampaignByID(ctx, campaignID); err != nil {
		return nil, err
	}
	var out []subscribers.Unsuppressed
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT s.id, s.email, e.actor, e.reason
			FROM subscribers s
			JOIN events e ON e.id = (
				SELECT max(id) FROM events
				WHERE subscriber_id = s.id AND new_status != '' AND new_status != old_status)
			WHERE s.status = ? AND e.type = ? AND e.new_status = ? AND e.campaign_id = ?
			  AND e.actor IN (?, ?)
			ORDER BY s.id`,
			subscribers.StatusBounced, subscribers.EventBounced, subscribers.StatusBounced, campaignID, bounceActors[0], bounceActors[1])
		if err != nil {
			return fmt.Errorf("find subscribers campaign %d suppressed: %w", campaignID, err)
		}
		for rows.Next() {
			var u subscribers.Unsuppressed
			if err := rows.Scan(&u.SubscriberID, &u.Email, &u.SuppressedBy, &u.Bounce); err != nil {
				rows.Close()
				return fmt.Errorf("scan subscriber: %w", err)
			}
			out = append(out, u)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("find subscribers campaign %d suppressed: %w", campaignID, err)
		}
		if dryRun {
			return nil
		}
		now := s.now()
		for _, u := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				subscribers.StatusActive, formatTime(now), u.SubscriberID, subscribers.StatusBounced); err != nil {
				return fmt.Errorf("restore %s: %w", u.Email, err)
			}
			if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: u.SubscriberID, CampaignID: campaignID,
				Type: subscribers.EventUnsuppressed, OldStatus: string(subscribers.StatusBounced), NewStatus: string(subscribers.StatusActive),
				Actor: actor, Reason: reason, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
