package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// RecordBounce stores a bounce or complaint and applies the policy: a hard
// bounce suppresses the subscriber at once (bounced), a complaint at once
// (complained), soft bounces once SoftLimit of them fall within SoftWindow.
// A bounce without SubscriberID is applied only under the address rule
// (see Bounce); otherwise it is recorded as unattributed.
func (s *Store) RecordBounce(ctx context.Context, b subscribers.Bounce, p subscribers.BouncePolicy) (subscribers.BounceResult, error) {
	p = p.WithDefaults()
	if b.Kind != subscribers.BounceHard && b.Kind != subscribers.BounceSoft && b.Kind != subscribers.BounceComplaint {
		return subscribers.BounceResult{}, fmt.Errorf("bounce kind %q: %w", b.Kind, subscribers.ErrInvalid)
	}
	var res subscribers.BounceResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.recordBounceTx(ctx, tx, b, p)
		return err
	})
	return res, err
}

// recordBounceTx is RecordBounce inside its transaction: find the
// subscriber, divert a report the address rule refuses, store the bounce
// once per key, then apply the policy.
func (s *Store) recordBounceTx(ctx context.Context, tx *sql.Tx, b subscribers.Bounce, p subscribers.BouncePolicy) (subscribers.BounceResult, error) {
	var res subscribers.BounceResult
	sub, err := bouncedSubscriber(ctx, tx, b)
	if errors.Is(err, subscribers.ErrNotFound) {
		res.Unknown = true
	} else if err != nil {
		return res, err
	}
	now := s.now()
	if b.SubscriberID == 0 {
		diverted, err := s.divertUnattributed(ctx, tx, sub, b, p, now, &res)
		if diverted || err != nil {
			return res, err
		}
	}
	if sub != nil {
		res.SubscriberID = sub.ID
	}
	inserted, err := insertBounce(ctx, tx, sub, b, now)
	if err != nil {
		return res, err
	}
	if !inserted {
		res.Duplicate = true
		return res, nil
	}
	if sub == nil {
		return res, nil
	}
	res.Suppressed, err = s.applyBouncePolicy(ctx, tx, sub, b, p, now)
	return res, err
}

// bouncedSubscriber finds whom a bounce is about: by id when it was
// attributed to a delivery, else by address.
func bouncedSubscriber(ctx context.Context, tx *sql.Tx, b subscribers.Bounce) (*subscribers.Subscriber, error) {
	switch {
	case b.SubscriberID != 0:
		return findSubscriberTx(ctx, tx, b.SubscriberID)
	case b.Email != "":
		return findSubscriber(ctx, tx, subscribers.NormalizeEmail(b.Email))
	default:
		return nil, subscribers.ErrNotFound
	}
}

// divertUnattributed records a report tied to no delivery as unattributed
// when the address rule does not allow applying it, and says whether it
// did. A report seen before as unattributed stays so.
func (s *Store) divertUnattributed(ctx context.Context, tx *sql.Tx, sub *subscribers.Subscriber, b subscribers.Bounce, p subscribers.BouncePolicy, now time.Time, res *subscribers.BounceResult) (bool, error) {
	seen, err := unattributedKeySeen(ctx, tx, b.Key)
	if err != nil {
		return false, err
	}
	why := "recorded before as unattributed"
	if !seen {
		if why, err = addressMatch(ctx, tx, sub, b, p, now); err != nil {
			return false, err
		}
	}
	if why == "" {
		return false, nil
	}
	res.Unattributed = why
	dup, err := s.recordUnattributed(ctx, tx, subscribers.UnattributedReport{
		Kind:       b.Kind,
		Source:     b.Source,
		Key:        b.Key,
		Reason:     why,
		Recipients: max(b.ReportRecipients, 1),
		Addresses:  []string{b.Email},
		Status:     b.Status,
		Detail:     b.Reason,
	})
	res.Duplicate = dup || seen
	return true, err
}

// insertBounce stores the bounce unless its source key was stored before,
// and says whether it stored it.
func insertBounce(ctx context.Context, tx *sql.Tx, sub *subscribers.Subscriber, b subscribers.Bounce, now time.Time) (bool, error) {
	var subID any
	if sub != nil {
		subID = sub.ID
	}
	var key any
	if b.Key != "" {
		key = b.Key
	}
	r, err := tx.ExecContext(ctx, `
		INSERT INTO bounces (subscriber_id, campaign_id, delivery_id, kind, status, reason, source, source_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source_key) DO NOTHING`,
		subID, nullID(b.CampaignID), nullID(b.DeliveryID), b.Kind, b.Status, b.Reason, b.Source, key, formatTime(now))
	if err != nil {
		return false, fmt.Errorf("record bounce: %w", err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

// applyBouncePolicy moves the subscriber to bounced or complained when the
// policy says so, and returns the status it moved them to, if any.
func (s *Store) applyBouncePolicy(ctx context.Context, tx *sql.Tx, sub *subscribers.Subscriber, b subscribers.Bounce, p subscribers.BouncePolicy, now time.Time) (subscribers.Status, error) {
	reason := b.Reason
	if b.Status != "" {
		reason = b.Status + " " + reason
	}
	var to subscribers.Status
	switch b.Kind {
	case subscribers.BounceHard:
		to = subscribers.StatusBounced
	case subscribers.BounceComplaint:
		to = subscribers.StatusComplained
	case subscribers.BounceSoft:
		n, err := recentSoftBounces(ctx, tx, sub.ID, now.Add(-p.SoftWindow))
		if err != nil {
			return "", err
		}
		if n >= p.SoftLimit {
			to = subscribers.StatusBounced
			reason = fmt.Sprintf("%d soft bounces within %s; last: %s", n, p.SoftWindow, reason)
		}
	}
	if to == "" || rank(sub.Status) >= rank(to) {
		return "", nil
	}
	typ := subscribers.EventBounced
	if to == subscribers.StatusComplained {
		typ = subscribers.EventComplained
	}
	if err := s.setStatus(ctx, tx, sub, to, subscribers.Event{Type: typ, CampaignID: b.CampaignID, Actor: b.Source, Reason: reason}); err != nil {
		return "", err
	}
	return to, nil
}

// recentSoftBounces counts a subscriber's soft bounces since a time. Soft
// bounces before an admin restored the address (unsuppress) were judged
// already, so they do not count.
func recentSoftBounces(ctx context.Context, tx *sql.Tx, subscriberID int64, since time.Time) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bounces
		WHERE subscriber_id = ? AND kind = ? AND created_at >= ?
		  AND created_at > COALESCE((SELECT max(created_at) FROM events
		                             WHERE subscriber_id = ? AND type = ?), '')`,
		subscriberID, subscribers.BounceSoft, formatTime(since), subscriberID, subscribers.EventUnsuppressed).Scan(&n); err != nil {
		return 0, fmt.Errorf("count soft bounces: %w", err)
	}
	return n, nil
}

// CampaignBounces counts the bounces and complaints attributed to a campaign.
func (s *Store) CampaignBounces(ctx context.Context, campaignID int64) (subscribers.BounceCounts, error) {
	var c subscribers.BounceCounts
	err := s.db.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE kind = ?),
			COUNT(*) FILTER (WHERE kind = ?),
			COUNT(*) FILTER (WHERE kind = ?)
		FROM bounces WHERE campaign_id = ?`,
		subscribers.BounceHard, subscribers.BounceSoft, subscribers.BounceComplaint, campaignID).Scan(&c.Hard, &c.Soft, &c.Complaints)
	if err != nil {
		return c, fmt.Errorf("count bounces: %w", err)
	}
	return c, nil
}
