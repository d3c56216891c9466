package subscribers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeliveryStatus is the state of one message of a campaign.
type DeliveryStatus string

const (
	DeliveryQueued   DeliveryStatus = "queued"
	DeliverySending  DeliveryStatus = "sending"
	DeliverySent     DeliveryStatus = "sent"
	DeliveryDeferred DeliveryStatus = "deferred"
	DeliveryFailed   DeliveryStatus = "failed"
	DeliverySkipped  DeliveryStatus = "skipped"
)

// Delivery is one recipient of a campaign, with what is needed to mail them.
type Delivery struct {
	ID           int64
	CampaignID   int64
	SubscriberID int64
	Status       DeliveryStatus
	Attempts     int
	Email        string // empty if the subscriber was removed
	Name         string
	Attributes   map[string]any
	NextAttempt  time.Time
	SentAt       time.Time
	SMTPCode     int
	LastError    string
}

const deliveryColumns = `d.id, d.campaign_id, d.subscriber_id, d.status, d.attempts,
	COALESCE(s.email, ''), COALESCE(s.name, ''), COALESCE(s.attributes, '{}'),
	COALESCE(d.next_attempt_at, ''), COALESCE(d.sent_at, ''), d.smtp_code, d.last_error`

func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
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
func (s *Store) NextQueued(ctx context.Context, campaignID, after int64, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
		WHERE +d.campaign_id = ? AND d.status = 'queued' AND d.id > ?
		ORDER BY d.id LIMIT ?`, campaignID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("next deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DueDeferred returns deferred deliveries whose retry time has come.
func (s *Store) DueDeferred(ctx context.Context, campaignID int64, now time.Time, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.campaign_id = ? AND d.status = 'deferred' AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at LIMIT ?`, campaignID, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// NextRetry returns when the earliest deferred delivery is due and how many
// are deferred; zero time when none are.
func (s *Store) NextRetry(ctx context.Context, campaignID int64) (time.Time, int, error) {
	var next string
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(min(next_attempt_at), ''), count(*) FROM deliveries
		WHERE campaign_id = ? AND status = 'deferred'`, campaignID).Scan(&next, &n)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("next retry: %w", err)
	}
	return parseTime(next), n, nil
}

// FindDelivery returns one delivery (for attributing bounces) or ErrNotFound.
func (s *Store) FindDelivery(ctx context.Context, id int64) (*Delivery, error) {
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
		return nil, fmt.Errorf("delivery %d: %w", id, ErrNotFound)
	}
	return &ds[0], nil
}

// LedgerOpKind is a transition of a delivery.
type LedgerOpKind int

const (
	// OpBegin moves a queued or deferred delivery that has been tried
	// Attempts times to sending, if its subscriber is still active and
	// subscribed to ListID. Otherwise the delivery becomes skipped
	// (ErrNotSendable), or, if someone else has moved it on since it was
	// read, nothing happens (ErrStale).
	OpBegin LedgerOpKind = iota
	OpSent
	OpDeferred // retry at NextAttempt
	OpFailed
	OpRequeue // due again at once, without counting the attempt (relay failover)
	// OpPostpone puts back a queued or deferred delivery that was never
	// begun, because no connection to the relay could be made: it becomes
	// deferred, due at NextAttempt (or at once), its attempts untouched.
	// Like OpBegin it does nothing unless the delivery still has Attempts.
	OpPostpone
)

// LedgerOp is one state change, applied with others in one transaction.
type LedgerOp struct {
	Kind        LedgerOpKind
	DeliveryID  int64
	ListID      int64     // OpBegin
	Attempts    int       // OpBegin: the attempts the caller read
	At          time.Time // when it happened
	NextAttempt time.Time // OpDeferred
	SMTPCode    int
	Error       string
	Relay       string
	// PossibleDuplicate marks a result after the connection broke once the
	// whole message was transmitted (OpDeferred, OpFailed): the server may
	// have accepted it. The campaign counts it as a possible duplicate.
	PossibleDuplicate bool
}

// ErrNotSendable is the result of an OpBegin whose delivery must not be
// sent (subscriber left or suppressed, or already handled).
var ErrNotSendable = errors.New("delivery is no longer to be sent")

// ErrStale is the result of an OpBegin for a delivery that changed since
// the caller read it (another worker has it, or it is done).
var ErrStale = errors.New("delivery changed since it was read")

// ApplyLedger applies ops in order in one transaction (group commit) and
// returns one error slot per op: nil, or ErrNotSendable for a refused
// OpBegin. The whole batch is durable when it returns nil.
func (s *Store) ApplyLedger(ctx context.Context, ops []LedgerOp) ([]error, error) {
	results := make([]error, len(ops))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, op := range ops {
			at := formatTime(op.At)
			if op.At.IsZero() {
				at = formatTime(s.now())
			}
			var err error
			var res sql.Result
			switch op.Kind {
			case OpBegin:
				res, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
					WHERE id = ? AND status IN ('queued', 'deferred') AND attempts = ? AND EXISTS (
						SELECT 1 FROM subscribers s JOIN subscriptions ss ON ss.subscriber_id = s.id
						WHERE s.id = deliveries.subscriber_id AND s.status = 'active'
						  AND ss.list_id = ? AND ss.status = 'subscribed')`, at, op.DeliveryID, op.Attempts, op.ListID)
				if err == nil {
					if n, _ := res.RowsAffected(); n == 0 {
						res, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'skipped', last_error = 'subscriber no longer active or subscribed', updated_at = ?
							WHERE id = ? AND status IN ('queued', 'deferred') AND attempts = ?`, at, op.DeliveryID, op.Attempts)
						results[i] = ErrStale
						if n, _ := res.RowsAffected(); err == nil && n > 0 {
							results[i] = ErrNotSendable
						}
					}
				}
			case OpSent:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'sent', sent_at = ?, smtp_code = ?, last_error = '', relay = ?, updated_at = ?
					WHERE id = ?`, at, op.SMTPCode, op.Relay, at, op.DeliveryID)
			case OpDeferred:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'deferred', next_attempt_at = ?, smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
					WHERE id = ?`, formatTime(op.NextAttempt), op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
			case OpFailed:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
					WHERE id = ?`, op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
			case OpRequeue:
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'deferred', next_attempt_at = ?, attempts = max(attempts - 1, 0),
					last_error = ?, relay = ?, updated_at = ? WHERE id = ?`, at, op.Error, op.Relay, at, op.DeliveryID)
			case OpPostpone:
				next := at
				if !op.NextAttempt.IsZero() {
					next = formatTime(op.NextAttempt)
				}
				_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = 'deferred', next_attempt_at = ?, last_error = ?, relay = ?, updated_at = ?
					WHERE id = ? AND status IN ('queued', 'deferred') AND attempts = ?`, next, op.Error, op.Relay, at, op.DeliveryID, op.Attempts)
			default:
				err = fmt.Errorf("unknown ledger op %d", op.Kind)
			}
			if err == nil && op.PossibleDuplicate {
				err = markPossibleDuplicate(ctx, tx, op.DeliveryID)
			}
			if err != nil {
				return fmt.Errorf("ledger: delivery %d: %w", op.DeliveryID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// markPossibleDuplicate records that a delivery's message may have reached
// the server although no reply said so, on the delivery and in its
// campaign's count.
func markPossibleDuplicate(ctx context.Context, tx *sql.Tx, deliveryID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET recovered = 1 WHERE id = ?`, deliveryID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE campaigns SET possible_duplicates = possible_duplicates + 1
		WHERE id = (SELECT campaign_id FROM deliveries WHERE id = ?)`, deliveryID)
	return err
}

// DeliveryResolver attributes provider webhook events to deliveries from
// the signed token Dispatch puts in X-Dispatch-Delivery and the Message-ID.
type DeliveryResolver struct {
	Store  *Store
	Tokens *Tokens
}

// ResolveDelivery returns the subscriber, campaign and list of the delivery
// that deliveryToken (or, failing that, messageID) names, or ErrNotFound.
func (r DeliveryResolver) ResolveDelivery(ctx context.Context, deliveryToken, messageID string) (int64, int64, int64, error) {
	for _, ref := range []string{deliveryToken, messageID} {
		if strings.TrimSpace(ref) == "" {
			continue
		}
		id, err := r.Tokens.ParseMessageID(ref)
		if err != nil {
			continue
		}
		d, err := r.Store.FindDelivery(ctx, id)
		if err != nil {
			return 0, 0, 0, err
		}
		c, err := r.Store.FindCampaignByID(ctx, d.CampaignID)
		if err != nil {
			return 0, 0, 0, err
		}
		return d.SubscriberID, d.CampaignID, c.ListID, nil
	}
	return 0, 0, 0, fmt.Errorf("delivery for %q / %q: %w", deliveryToken, messageID, ErrNotFound)
}
