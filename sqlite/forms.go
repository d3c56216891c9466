package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// actorSubscriber attributes what people do from the public pages.
const actorSubscriber = "subscriber"

// RequestSubscription records a subscribe form's POST. For a double opt-in
// list (and for anyone who had left, whatever the list) it leaves a
// request waiting for confirmation and returns FormPending: mail the link.
// For a single opt-in list it subscribes at once. An address that must not
// be mailed (bounced, complained, blocklisted, or removed while so)
// changes nothing and returns FormSuppressed. A subscriber's existing name
// is never changed: anyone can fill in a form.
func (s *Store) RequestSubscription(ctx context.Context, req subscribers.FormRequest) (*subscribers.FormResult, error) {
	email := subscribers.CleanEmail(req.Email)
	if err := subscribers.ValidateEmail(email); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", email, subscribers.ErrInvalid, err)
	}
	norm := strings.ToLower(email)
	res := &subscribers.FormResult{}
	// Forms are posted in bursts (a newsletter shared somewhere): the
	// request is group-committed with the unsubscribes
	// (unsubscribe_batch.go) rather than queueing for the write lock.
	w := s.unsubscribeWriter()
	if w == nil {
		return nil, fmt.Errorf("subscribe %s through a form: %w", email, errStoreClosed)
	}
	err := w.do(&unsubOp{ctx: ctx, result: make(chan error, 1), apply: func(ctx context.Context, tx *sql.Tx) error {
		*res = subscribers.FormResult{} // a retry starts afresh
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM lists WHERE id = ?`, req.ListID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("list %d: %w", req.ListID, subscribers.ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("find list %d: %w", req.ListID, err)
		}
		removed, ok, err := removedStatus(ctx, tx, norm)
		if err != nil {
			return err
		}
		if ok && !removed.MaySelfResubscribe() {
			res.Outcome = subscribers.FormSuppressed
			return nil
		}
		sub, err := findSubscriber(ctx, tx, norm)
		switch {
		case errors.Is(err, subscribers.ErrNotFound):
			if sub, err = s.createSubscriber(ctx, tx, email, req.Name, nil, subscribers.StatusActive, actorSubscriber); err != nil {
				return err
			}
			res.Created = true
		case err != nil:
			return err
		case !sub.Status.MaySelfResubscribe():
			res.Outcome = subscribers.FormSuppressed
			return nil
		}
		res.SubscriberID = sub.ID
		current, err := subscriptionStatus(ctx, tx, sub.ID, req.ListID)
		if err != nil && !errors.Is(err, subscribers.ErrNotFound) {
			return err
		}
		// Only the person may undo their own unsubscribe (or erasure), and
		// only the mailbox proves who they are.
		left := ok || sub.Status == subscribers.StatusUnsubscribed || current == subscribers.Unsubscribed
		switch {
		case current == subscribers.Subscribed && sub.Status == subscribers.StatusActive:
			res.Outcome = subscribers.FormAlready
			return nil
		case req.Single && !left:
			res.Outcome = subscribers.FormSubscribed
			return s.formSubscribe(ctx, tx, sub.ID, req)
		}
		res.Outcome = subscribers.FormPending
		return s.formRequest(ctx, tx, sub.ID, req)
	}})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s through a form: %w", email, err)
	}
	return res, nil
}

// formRequest leaves a request waiting for confirmation: a new unconfirmed
// subscription, or the request noted on the one that exists (whose status
// it does not change).
func (s *Store) formRequest(ctx context.Context, tx *sql.Tx, subID int64, req subscribers.FormRequest) error {
	now := formatTime(s.now())
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (list_id, subscriber_id, status, source, consented_at, updated_at,
		                           requested_at, request_source, request_text)
		VALUES (?1, ?2, `+sqlUnconfirmed+`, ?3, ?4, ?4, ?4, ?3, ?5)
		ON CONFLICT (list_id, subscriber_id) DO UPDATE
		SET requested_at = ?4, request_source = ?3, request_text = ?5, updated_at = ?4`,
		req.ListID, subID, req.Source, now, req.ConsentText); err != nil {
		return fmt.Errorf("record the request: %w", err)
	}
	return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: subID, ListID: req.ListID,
		Type: subscribers.EventRequested, Actor: actorSubscriber, Reason: req.Source})
}

// formSubscribe subscribes at once from a single opt-in form, with the
// form's POST as the consent record.
func (s *Store) formSubscribe(ctx context.Context, tx *sql.Tx, subID int64, req subscribers.FormRequest) error {
	now := formatTime(s.now())
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (list_id, subscriber_id, status, source, consented_at, updated_at, basis,
		                           consent_text, consent_ip, consent_agent)
		VALUES (?1, ?2, `+sqlSubscribed+`, ?3, ?4, ?4, 'consent', ?5, ?6, ?7)
		ON CONFLICT (list_id, subscriber_id) DO UPDATE
		SET status = `+sqlSubscribed+`, source = ?3, consented_at = ?4, updated_at = ?4, basis = 'consent',
		    consent_text = ?5, consent_ip = ?6, consent_agent = ?7,
		    requested_at = NULL, request_source = '', request_text = ''`,
		req.ListID, subID, req.Source, now, req.ConsentText, req.IP, req.UserAgent); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: subID, ListID: req.ListID,
		Type: subscribers.EventConfirmed, NewStatus: string(subscribers.Subscribed), Actor: actorSubscriber, Reason: req.Source})
}

// ConfirmSubscription confirms the request waiting on (subscriber, list):
// the subscription becomes active with its consent record (now, the form,
// the wording it showed, c.IP and c.UserAgent, basis consent). For a
// person who had left the list or everything (or erased themselves), this
// is their own re-subscription, recorded as such. It returns ErrNotFound
// when nothing is waiting (never asked, purged, or unsubscribed since) and
// ErrSuppressed for an address that must stay suppressed.
func (s *Store) ConfirmSubscription(ctx context.Context, c subscribers.Confirmation) (subscribers.ConfirmResult, error) {
	var out subscribers.ConfirmResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriberTx(ctx, tx, c.SubscriberID)
		if err != nil {
			return err
		}
		norm := strings.ToLower(sub.Email)
		removed, wasRemoved, err := removedStatus(ctx, tx, norm)
		if err != nil {
			return err
		}
		if !sub.Status.MaySelfResubscribe() || (wasRemoved && !removed.MaySelfResubscribe()) {
			return fmt.Errorf("%s is %s: %w", sub.Email, sub.Status, subscribers.ErrSuppressed)
		}
		var status subscribers.SubscriptionStatus
		var requested sql.NullString
		var source, text string
		err = tx.QueryRowContext(ctx, `SELECT status, requested_at, request_source, request_text
			FROM subscriptions WHERE list_id = ? AND subscriber_id = ?`, c.ListID, c.SubscriberID).
			Scan(&status, &requested, &source, &text)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("subscription of %d to list %d: %w", c.SubscriberID, c.ListID, subscribers.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("find the request: %w", err)
		}
		if !requested.Valid {
			if status == subscribers.Subscribed && sub.Status == subscribers.StatusActive {
				out.Already = true
				return nil
			}
			return fmt.Errorf("no request waiting for %d on list %d: %w", c.SubscriberID, c.ListID, subscribers.ErrNotFound)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = `+sqlSubscribed+`, source = ?, consented_at = ?, updated_at = ?,
			       unsubscribed_at = NULL, basis = 'consent', consent_text = ?, consent_ip = ?, consent_agent = ?,
			       requested_at = NULL, request_source = '', request_text = ''
			WHERE list_id = ? AND subscriber_id = ?`,
			source, formatTime(now), formatTime(now), text, c.IP, c.UserAgent, c.ListID, c.SubscriberID); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		out.Resubscribed = status == subscribers.Unsubscribed || sub.Status == subscribers.StatusUnsubscribed || wasRemoved
		if sub.Status == subscribers.StatusUnsubscribed {
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = `+sqlActive+`, updated_at = ? WHERE id = ?`,
				formatTime(now), sub.ID); err != nil {
				return fmt.Errorf("reactivate: %w", err)
			}
		}
		if wasRemoved {
			// They erased themselves and came back: the hash that kept
			// them suppressed has done its job.
			if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE email_hash = ?`, subscribers.SuppressionHash(norm)); err != nil {
				return fmt.Errorf("lift the erasure's suppression: %w", err)
			}
		}
		if out.Resubscribed {
			if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, ListID: c.ListID, Type: subscribers.EventResubscribed,
				OldStatus: string(sub.Status), NewStatus: string(subscribers.StatusActive), Actor: actorSubscriber,
				Reason: "confirmed through " + source}); err != nil {
				return err
			}
		}
		return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, ListID: c.ListID, Type: subscribers.EventConfirmed,
			OldStatus: string(status), NewStatus: string(subscribers.Subscribed), Actor: actorSubscriber, Reason: source})
	})
	return out, err
}

// removedStatus reports whether an address was removed (only its hash is
// kept) and the status it was suppressed with.
func removedStatus(ctx context.Context, q queryer, norm string) (subscribers.Status, bool, error) {
	var st subscribers.Status
	err := q.QueryRowContext(ctx, `SELECT status FROM suppressions WHERE email_hash = ?`, subscribers.SuppressionHash(norm)).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("check suppressions: %w", err)
	}
	return st, true, nil
}

// PurgeUnconfirmed removes form requests made before before and never
// confirmed: unconfirmed subscriptions are deleted, and so is a subscriber
// the request created who is on no list and was never mailed a campaign
// (they never consented, so nothing of them is kept, not even a hash); a
// request noted on a list the person had left is dropped. Each purged
// subscription is recorded as a "purged" event by actor, and each
// subscriber deleted as a "removed" one.
func (s *Store) PurgeUnconfirmed(ctx context.Context, before time.Time, actor string) (subscribers.PurgeResult, error) {
	var out subscribers.PurgeResult
	cut := formatTime(before.UTC())
	now := formatTime(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO events (subscriber_id, list_id, type, old_status, actor, reason, created_at)
			SELECT subscriber_id, list_id, 'purged', status, ?, 'not confirmed since ' || requested_at, ?
			FROM subscriptions WHERE requested_at < ?`, actor, now, cut); err != nil {
			return fmt.Errorf("record purges: %w", err)
		}
		// The subscribers who may go: after the purge they are on no list.
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS purge_candidates (id INTEGER PRIMARY KEY)`); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.purge_candidates`); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO temp.purge_candidates (id)
			SELECT DISTINCT ss.subscriber_id FROM subscriptions ss
			WHERE ss.status = `+sqlUnconfirmed+` AND ss.requested_at < ?
			  AND NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.subscriber_id = ss.subscriber_id
			                  AND NOT (o.status = `+sqlUnconfirmed+` AND o.requested_at < ?))
			  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = ss.subscriber_id)
			  AND EXISTS (SELECT 1 FROM events e WHERE e.subscriber_id = ss.subscriber_id
			              AND e.type = `+sqlEventCreated+` AND e.actor = 'subscriber')`, cut, cut); err != nil {
			return fmt.Errorf("find subscribers to purge: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE status = `+sqlUnconfirmed+` AND requested_at < ?`, cut)
		if err != nil {
			return fmt.Errorf("purge subscriptions: %w", err)
		}
		n, _ := res.RowsAffected()
		out.Subscriptions = int(n)
		if res, err = tx.ExecContext(ctx, `UPDATE subscriptions SET requested_at = NULL, request_source = '', request_text = ''
			WHERE requested_at < ?`, cut); err != nil {
			return fmt.Errorf("drop stale requests: %w", err)
		}
		n, _ = res.RowsAffected()
		out.Requests = int(n)
		// As for RemoveSubscriber, the removal is recorded: the events
		// outlive the subscriber, and keep the id from being given again.
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (subscriber_id, type, old_status, actor, reason, created_at)
			SELECT id, ?, status, ?, 'never confirmed', ? FROM subscribers WHERE id IN (SELECT id FROM temp.purge_candidates)`,
			subscribers.EventRemoved, actor, now); err != nil {
			return fmt.Errorf("record removals: %w", err)
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM subscribers WHERE id IN (SELECT id FROM temp.purge_candidates)`); err != nil {
			return fmt.Errorf("purge subscribers: %w", err)
		}
		n, _ = res.RowsAffected()
		out.Subscribers = int(n)
		_, err = tx.ExecContext(ctx, `DELETE FROM temp.purge_candidates`)
		return err
	})
	if err != nil {
		return subscribers.PurgeResult{}, fmt.Errorf("purge unconfirmed subscriptions: %w", err)
	}
	return out, nil
}
