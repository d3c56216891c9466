package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BounceKind says what a bounce means for the address.
type BounceKind string

const (
	BounceHard      BounceKind = "hard"      // the address is dead: suppress at once
	BounceSoft      BounceKind = "soft"      // temporary: suppress after repeated ones
	BounceComplaint BounceKind = "complaint" // the person marked mail as spam
)

// BouncePolicy decides when soft bounces suppress an address, and when a
// report that names an address but no delivery counts at all.
type BouncePolicy struct {
	SoftLimit  int           // soft bounces within SoftWindow that suppress (default 3)
	SoftWindow time.Duration // default 30 days
	// AddressMatchWindow: a report tied to no delivery applies to an
	// address only if Dispatch sent it a message this recently (default
	// DefaultAddressMatchWindow).
	AddressMatchWindow time.Duration
	// MaxAddressRecipients: ... and only if the report names at most this
	// many recipients (default DefaultMaxAddressRecipients).
	MaxAddressRecipients int
}

// WithDefaults fills in the zero fields.
func (p BouncePolicy) WithDefaults() BouncePolicy {
	if p.SoftLimit <= 0 {
		p.SoftLimit = 3
	}
	if p.SoftWindow <= 0 {
		p.SoftWindow = 30 * 24 * time.Hour
	}
	if p.AddressMatchWindow <= 0 {
		p.AddressMatchWindow = DefaultAddressMatchWindow
	}
	if p.MaxAddressRecipients <= 0 {
		p.MaxAddressRecipients = DefaultMaxAddressRecipients
	}
	return p
}

// Bounce is one bounce or complaint to record.
//
// SubscriberID says the caller tied the report to a delivery Dispatch made
// (a verified token, or the SMTP reply to our own transaction). Without it
// the report is matched by Email alone, which anyone who can mail the
// bounce address or post a webhook could forge: it applies only under the
// policy's address rule, and is otherwise recorded as unattributed.
type Bounce struct {
	SubscriberID int64  // if known (VERP, delivery); else Email is looked up
	Email        string //
	// ReportRecipients is how many recipients the whole report names (0
	// counts as 1); address matching needs few.
	ReportRecipients int
	CampaignID       int64
	DeliveryID       int64
	Kind             BounceKind
	Status           string // RFC 3463, e.g. 5.1.1
	Reason           string
	Source           string // smtp, mail, webhook:ses, ...
	// Key identifies the report (e.g. the bounce message's Message-ID plus
	// recipient, or a webhook event id); a second report with the same key
	// changes nothing.
	Key string
}

// BounceResult says what RecordBounce did.
type BounceResult struct {
	SubscriberID int64
	Duplicate    bool   // the key was seen before; nothing changed
	Unknown      bool   // no subscriber has that address
	Suppressed   Status // the status the subscriber was moved to, if any
	// Unattributed says why a report tied to no delivery was not applied;
	// it was recorded for review (UnattributedReports) and changed no one.
	Unattributed string
}

// RecordBounce stores a bounce or complaint and applies the policy: a hard
// bounce suppresses the subscriber at once (bounced), a complaint at once
// (complained), soft bounces once SoftLimit of them fall within SoftWindow.
// A bounce without SubscriberID is applied only under the address rule
// (see Bounce); otherwise it is recorded as unattributed.
func (s *Store) RecordBounce(ctx context.Context, b Bounce, p BouncePolicy) (BounceResult, error) {
	p = p.WithDefaults()
	if b.Kind != BounceHard && b.Kind != BounceSoft && b.Kind != BounceComplaint {
		return BounceResult{}, fmt.Errorf("bounce kind %q: %w", b.Kind, ErrInvalid)
	}
	var res BounceResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var sub *Subscriber
		var err error
		switch {
		case b.SubscriberID != 0:
			sub, err = findSubscriberTx(ctx, tx, b.SubscriberID)
		case b.Email != "":
			sub, err = findSubscriber(ctx, tx, NormalizeEmail(b.Email))
		default:
			err = ErrNotFound
		}
		if errors.Is(err, ErrNotFound) {
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
				res.Duplicate, err = s.recordUnattributed(ctx, tx, UnattributedReport{Kind: b.Kind, Source: b.Source,
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
		to := Status("")
		switch b.Kind {
		case BounceHard:
			to = StatusBounced
		case BounceComplaint:
			to = StatusComplained
		case BounceSoft:
			var n int
			// Soft bounces before an admin restored the address (unsuppress)
			// were judged already.
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bounces
				WHERE subscriber_id = ? AND kind = 'soft' AND created_at >= ?
				  AND created_at > COALESCE((SELECT max(created_at) FROM events
				                             WHERE subscriber_id = ? AND type = ?), '')`,
				sub.ID, formatTime(now.Add(-p.SoftWindow)), sub.ID, EventUnsuppressed).Scan(&n); err != nil {
				return fmt.Errorf("count soft bounces: %w", err)
			}
			if n >= p.SoftLimit {
				to = StatusBounced
				reason = fmt.Sprintf("%d soft bounces within %s; last: %s", n, p.SoftWindow, reason)
			}
		}
		if to == "" || rank(sub.Status) >= rank(to) {
			return nil
		}
		typ := EventBounced
		if to == StatusComplained {
			typ = EventComplained
		}
		if err := s.setStatus(ctx, tx, sub, to, Event{Type: typ, CampaignID: b.CampaignID, Actor: b.Source, Reason: reason}); err != nil {
			return err
		}
		res.Suppressed = to
		return nil
	})
	return res, err
}

// BounceCounts summarises bounces for a campaign.
type BounceCounts struct {
	Hard, Soft, Complaints int
}

// CampaignBounces counts the bounces and complaints attributed to a campaign.
func (s *Store) CampaignBounces(ctx context.Context, campaignID int64) (BounceCounts, error) {
	var c BounceCounts
	err := s.db.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE kind = 'hard'),
			COUNT(*) FILTER (WHERE kind = 'soft'),
			COUNT(*) FILTER (WHERE kind = 'complaint')
		FROM bounces WHERE campaign_id = ?`, campaignID).Scan(&c.Hard, &c.Soft, &c.Complaints)
	if err != nil {
		return c, fmt.Errorf("count bounces: %w", err)
	}
	return c, nil
}
