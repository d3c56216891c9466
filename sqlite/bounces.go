package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
		var sub *subscribers.Subscriber
		var err error
		switch {
		case b.SubscriberID != 0:
			sub, err = findSubscriberTx(ctx, tx, b.SubscriberID)
		case b.Email != "":
			sub, err = findSubscriber(ctx, tx, subscribers.NormalizeEmail(b.Email))
		default:
			err = subscribers.ErrNotFound
		}
		if errors.Is(err, subscribers.ErrNotFound) {
			res.Unknown = true
		} else if err != nil {
			return err
		}
		now := s.now()
		if b.SubscriberID == 0 {
			// A report seen before as unattributed stays so.
			seen, err := unattributedKeySeen(ctx, tx, b.Key)
			if err != nil {
				return err
			}
			why := "recorded before as unattributed"
			if !seen {
				if why, err = addressMatch(ctx, tx, sub, b, p, now); err != nil {
					return err
				}
			}
			if why != "" {
				res.Unattributed = why
				res.Duplicate, err = s.recordUnattributed(ctx, tx, subscribers.UnattributedReport{Kind: b.Kind, Source: b.Source,
					Key: b.Key, Reason: why, Recipients: max(b.ReportRecipients, 1), Addresses: []string{b.Email},
					Status: b.Status, Detail: b.Reason})
				res.Duplicate = res.Duplicate || seen
				return err
			}
		}
		var subID any
		if sub != nil {
			subID, res.SubscriberID = sub.ID, sub.ID
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
			return fmt.Errorf("record bounce: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicate = true
			return nil
		}
		if sub == nil {
			return nil
		}
		reason := b.Reason
		if b.Status != "" {
			reason = b.Status + " " + reason
		}
		to := subscribers.Status("")
		switch b.Kind {
		case subscribers.BounceHard:
			to = subscribers.StatusBounced
		case subscribers.BounceComplaint:
			to = subscribers.StatusComplained
		case subscribers.BounceSoft:
			var n int
			// Soft bounces before an admin restored the address (unsuppress)
			// were judged already.
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bounces
				WHERE subscriber_id = ? AND kind = ? AND created_at >= ?
				  AND created_at > COALESCE((SELECT max(created_at) FROM events
				                             WHERE subscriber_id = ? AND type = ?), '')`,
				sub.ID, subscribers.BounceSoft, formatTime(now.Add(-p.SoftWindow)), sub.ID, subscribers.EventUnsuppressed).Scan(&n); err != nil {
				return fmt.Errorf("count soft bounces: %w", err)
			}
			if n >= p.SoftLimit {
				to = subscribers.StatusBounced
				reason = fmt.Sprintf("%d soft bounces within %s; last: %s", n, p.SoftWindow, reason)
			}
		}
		if to == "" || rank(sub.Status) >= rank(to) {
			return nil
		}
		typ := subscribers.EventBounced
		if to == subscribers.StatusComplained {
			typ = subscribers.EventComplained
		}
		if err := s.setStatus(ctx, tx, sub, to, subscribers.Event{Type: typ, CampaignID: b.CampaignID, Actor: b.Source, Reason: reason}); err != nil {
			return err
		}
		res.Suppressed = to
		return nil
	})
	return res, err
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
