package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// JoinList subscribes a person to a list at their own request (the
// preference centre): a new subscription, or one they had left, is made
// subscribed with consent given now from source. A person who had
// unsubscribed from everything becomes active again, since asking for a
// list is asking for mail. Bounced, complained and blocklisted addresses
// stay suppressed: ErrSuppressed. Joining a list one is on does nothing.
func (s *Store) JoinList(ctx context.Context, subscriberID, listID int64, actor, source string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriberTx(ctx, tx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status != subscribers.StatusActive && sub.Status != subscribers.StatusUnsubscribed {
			return fmt.Errorf("subscriber %d is %s: %w", sub.ID, sub.Status, subscribers.ErrSuppressed)
		}
		now := formatTime(s.now())
		st, err := subscriptionStatus(ctx, tx, subscriberID, listID)
		switch {
		case errors.Is(err, subscribers.ErrNotFound) || st == subscribers.Unconfirmed:
			// The manage link proved the mailbox, as a confirmation would.
			if _, err := s.subscribe(ctx, tx, subscriberID, listID, source, subscribers.BasisConsent, actor); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("join list %d: %w", listID, err)
		case st == subscribers.Unsubscribed:
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = `+sqlSubscribed+`, unsubscribed_at = NULL,
				updated_at = ?, consented_at = ?, source = ? WHERE subscriber_id = ? AND list_id = ?`,
				now, now, source, subscriberID, listID); err != nil {
				return fmt.Errorf("join list %d: %w", listID, err)
			}
			if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, ListID: listID,
				Type: subscribers.EventResubscribed, Actor: actor, Reason: source}); err != nil {
				return err
			}
		}
		if sub.Status != subscribers.StatusUnsubscribed {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = `+sqlActive+`, updated_at = ? WHERE id = ?`, now, sub.ID); err != nil {
			return fmt.Errorf("reactivate subscriber %d: %w", sub.ID, err)
		}
		return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, ListID: listID, Type: subscribers.EventStatus,
			OldStatus: string(sub.Status), NewStatus: string(subscribers.StatusActive), Actor: actor, Reason: source})
	})
}
