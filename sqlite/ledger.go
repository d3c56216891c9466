package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ApplyLedger applies ops in order in one transaction (group commit) and
// returns one error slot per op: nil, or ErrNotSendable for a refused
// OpBegin. The whole batch is durable when it returns nil. The campaigns'
// kept counts change in the same transaction, once per campaign, minute
// and domain for the whole batch (countMoves).
func (s *Store) ApplyLedger(ctx context.Context, ops []subscribers.LedgerOp) ([]error, error) {
	results := make([]error, len(ops))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		moved := make([]ledgerMove, 0, len(ops))
		for i, op := range ops {
			at := formatTime(op.At)
			if op.At.IsZero() {
				at = formatTime(s.now())
			}
			mv, err := s.applyLedgerOp(ctx, tx, op, at)
			results[i] = mv.result
			if err == nil && op.PossibleDuplicate {
				err = markPossibleDuplicate(ctx, tx, op.DeliveryID)
			}
			if err != nil {
				return fmt.Errorf("ledger: delivery %d: %w", op.DeliveryID, err)
			}
			if mv.from != "" {
				moved = append(moved, mv)
			}
		}
		return s.countLedgerMoves(ctx, tx, moved)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// ledgerMove is what one op did: its result (OpBegin's refusals) and the
// change of status it made, if any (from is empty if none).
type ledgerMove struct {
	result      error
	delivery    int64
	from, to    subscribers.DeliveryStatus
	keptAttempt bool
	at          string
}

// The ledger's statements, each with the status the delivery is expected
// to be in as its last argument: that a row changed says which status it
// had, without reading it first (a query per op through database/sql
// costs as much again as the update).
const (
	qBegin = `UPDATE deliveries SET status = ` + sqlSending + `, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND attempts = ? AND EXISTS (
			SELECT 1 FROM subscribers s JOIN subscriptions ss ON ss.subscriber_id = s.id
			WHERE s.id = deliveries.subscriber_id AND s.status = ` + sqlActive + `
			  AND ss.list_id = ? AND ss.status = ` + sqlSubscribed + `) AND status = ?`
	qSkip = `UPDATE deliveries SET status = ` + sqlSkipped + `, last_error = 'subscriber no longer active or subscribed', updated_at = ?
		WHERE id = ? AND attempts = ? AND status = ?`
	qSent = `UPDATE deliveries SET status = ` + sqlSent + `, sent_at = ?, smtp_code = ?, last_error = '', relay = ?, updated_at = ?
		WHERE id = ? AND status = ?`
	qDeferred = `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ? AND status = ?`
	qFailed = `UPDATE deliveries SET status = ` + sqlFailed + `, smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ? AND status = ?`
	qRequeue = `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, attempts = max(attempts - 1, 0),
		last_error = ?, relay = ?, updated_at = ? WHERE id = ? AND status = ?`
	qPostpone = `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ? AND attempts = ? AND status = ?`
)

var (
	queuedFirst   = []subscribers.DeliveryStatus{subscribers.DeliveryQueued, subscribers.DeliveryDeferred}
	deferredFirst = []subscribers.DeliveryStatus{subscribers.DeliveryDeferred, subscribers.DeliveryQueued}
	sendingOnly   = []subscribers.DeliveryStatus{subscribers.DeliverySending}
)

// applyLedgerOp applies one op; err fails the batch.
func (s *Store) applyLedgerOp(ctx context.Context, tx *sql.Tx, op subscribers.LedgerOp, at string) (ledgerMove, error) {
	mv := ledgerMove{delivery: op.DeliveryID, at: at}
	// OpBegin and OpPostpone take a queued or a deferred delivery; one read
	// once is more likely queued.
	waiting := queuedFirst
	if op.Attempts > 0 {
		waiting = deferredFirst
	}
	var err error
	switch op.Kind {
	case subscribers.OpBegin:
		mv.to = subscribers.DeliverySending
		mv.from, err = s.updateFrom(ctx, tx, qBegin, waiting, at, op.DeliveryID, op.Attempts, op.ListID)
		if err == nil && mv.from == "" {
			mv.to, mv.keptAttempt, mv.result = subscribers.DeliverySkipped, true, subscribers.ErrStale
			mv.from, err = s.updateFrom(ctx, tx, qSkip, waiting, at, op.DeliveryID, op.Attempts)
			if mv.from != "" {
				mv.result = subscribers.ErrNotSendable
			}
		}
	case subscribers.OpPostpone:
		next := at
		if !op.NextAttempt.IsZero() {
			next = formatTime(op.NextAttempt)
		}
		mv.to, mv.keptAttempt = subscribers.DeliveryDeferred, true
		mv.from, err = s.updateFrom(ctx, tx, qPostpone, waiting, next, op.Error, op.Relay, at, op.DeliveryID, op.Attempts)
	case subscribers.OpSent:
		mv.to, mv.keptAttempt = subscribers.DeliverySent, true
		mv.from, _, err = s.updateAny(ctx, tx, qSent, qSent, op.DeliveryID, at, op.SMTPCode, op.Relay, at, op.DeliveryID)
	case subscribers.OpDeferred:
		mv.to, mv.keptAttempt = subscribers.DeliveryDeferred, true
		mv.from, _, err = s.updateAny(ctx, tx, qDeferred, qDeferred, op.DeliveryID, formatTime(op.NextAttempt), op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
	case subscribers.OpFailed:
		mv.to, mv.keptAttempt = subscribers.DeliveryFailed, true
		mv.from, _, err = s.updateAny(ctx, tx, qFailed, qFailed, op.DeliveryID, op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
	case subscribers.OpRequeue:
		// The attempt is given back: kept only where there was none
		// (max(0 - 1, 0)); the fast way is for deliveries with some.
		var attempts int
		mv.to = subscribers.DeliveryDeferred
		mv.from, attempts, err = s.updateAny(ctx, tx, qRequeue+` AND attempts > 0`, qRequeue, op.DeliveryID, at, op.Error, op.Relay, at, op.DeliveryID)
		mv.keptAttempt = attempts == 0
	default:
		return mv, fmt.Errorf("unknown ledger op %d", op.Kind)
	}
	return mv, err
}

// updateFrom runs q with each status of froms as its last argument until
// one changes the row, and returns that status; "" if none did.
func (s *Store) updateFrom(ctx context.Context, tx *sql.Tx, q string, froms []subscribers.DeliveryStatus, args ...any) (subscribers.DeliveryStatus, error) {
	args = append(args, nil)
	for _, from := range froms {
		args[len(args)-1] = from
		res, err := s.execCached(ctx, tx, q, args...)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return from, nil
		}
	}
	return "", nil
}

// updateAny runs q on delivery id whatever its status, and returns the
// status it had and, unless it was sending, its attempts (else -1). A
// result follows a begin, so it tries fast, which is q for a sending
// delivery (or a narrower one), before it reads the delivery.
func (s *Store) updateAny(ctx context.Context, tx *sql.Tx, fast, q string, id int64, args ...any) (subscribers.DeliveryStatus, int, error) {
	from, err := s.updateFrom(ctx, tx, fast, sendingOnly, args...)
	if from != "" || err != nil {
		return from, -1, err
	}
	var st subscribers.DeliveryStatus
	var attempts int
	err = tx.QueryRowContext(ctx, `SELECT status, attempts FROM deliveries WHERE id = ?`, id).Scan(&st, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", -1, nil
	}
	if err != nil {
		return "", -1, fmt.Errorf("read delivery: %w", err)
	}
	from, err = s.updateFrom(ctx, tx, q, []subscribers.DeliveryStatus{st}, args...)
	return from, attempts, err
}

// countLedgerMoves keeps the counts of the moves a batch made: the
// deliveries' campaigns and recipient domains are read in one query.
func (s *Store) countLedgerMoves(ctx context.Context, tx *sql.Tx, moved []ledgerMove) error {
	if len(moved) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(moved))
	for _, mv := range moved {
		if mv.from != mv.to {
			ids = append(ids, mv.delivery)
		}
	}
	of, err := s.deliveryPlaces(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("keep campaign counts: %w", err)
	}
	var moves countMoves
	for _, mv := range moved {
		p := of[mv.delivery]
		moves.add(countMove{campaign: p.campaign, domain: p.domain, from: mv.from, to: mv.to, keptAttempt: mv.keptAttempt, at: mv.at})
	}
	return moves.write(ctx, s, tx)
}

// place is where a delivery counts: its campaign and recipient domain.
type place struct {
	campaign int64
	domain   string
}

// deliveryPlaces reads the campaign and recipient domain of deliveries.
// Neither changes once the delivery exists.
func (s *Store) deliveryPlaces(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]place, error) {
	st, err := s.cachedStmt(ctx, `SELECT d.id, d.campaign_id,
			COALESCE((SELECT `+domainOf+` FROM subscribers WHERE id = d.subscriber_id), '')
		FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, jsonInts(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]place, len(ids))
	for rows.Next() {
		var id int64
		var p place
		if err := rows.Scan(&id, &p.campaign, &p.domain); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}
