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
	return s.applyLedger(ctx, ops, func(ctx context.Context, tx queryer, moved []countMove) (func(), error) {
		var moves countMoves
		moves.addAll(moved)
		return nil, moves.write(ctx, s, tx)
	})
}

// applyLedger applies ops in one transaction and hands the moves they
// made to count, in the transaction; what count returns runs once the
// transaction has committed.
func (s *Store) applyLedger(ctx context.Context, ops []subscribers.LedgerOp,
	count func(context.Context, queryer, []countMove) (func(), error)) ([]error, error) {
	results := make([]error, len(ops))
	var committed func()
	err := s.inConnTx(ctx, func(tx queryer) error {
		moved := make([]ledgerMove, 0, len(ops))
		for i, op := range ops {
			at := formatTime(op.At)
			if op.At.IsZero() {
				at = formatTime(s.now())
			}
			mv, err := s.applyHinted(ctx, tx, op, at)
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
		moves, err := s.countLedgerMoves(ctx, tx, moved)
		if err != nil {
			return err
		}
		committed, err = count(ctx, tx, moves)
		return err
	})
	if err != nil {
		return nil, err
	}
	if committed != nil {
		committed()
	}
	return results, nil
}

// ledgerMove is what one op did: its result (OpBegin's refusals) and the
// change of status it made, if any (from is empty if none); placed when
// the op's hint said where it counts and the update checked it.
type ledgerMove struct {
	result      error
	delivery    int64
	from, to    subscribers.DeliveryStatus
	keptAttempt bool
	at          string
	placed      bool
	place       place
}

var (
	queuedFirst   = []subscribers.DeliveryStatus{subscribers.DeliveryQueued, subscribers.DeliveryDeferred}
	deferredFirst = []subscribers.DeliveryStatus{subscribers.DeliveryDeferred, subscribers.DeliveryQueued}
	sendingOnly   = []subscribers.DeliveryStatus{subscribers.DeliverySending}
)

// applyHinted applies one op, with its hint if it has one: then each
// statement also requires the delivery's campaign to be the hint's, so
// that a move it makes counts where the hint says (the domain is taken as
// given: LedgerOp.Domain). If the hinted statements move nothing (a wrong
// campaign, or the delivery not in the status the op expects), the op
// runs again without, and the batch reads where it counts.
func (s *Store) applyHinted(ctx context.Context, tx queryer, op subscribers.LedgerOp, at string) (ledgerMove, error) {
	if op.CampaignID != 0 {
		mv, err := s.applyLedgerOp(ctx, tx, op, at, true)
		if err != nil || mv.from != "" {
			mv.placed, mv.place = mv.from != "", place{campaign: op.CampaignID, domain: op.Domain}
			return mv, err
		}
	}
	return s.applyLedgerOp(ctx, tx, op, at, false)
}

// applyLedgerOp applies one op, with its hint's checks if hinted; err fails
// the batch. Hinted, it tries only the statements for a delivery in the
// status the op expects.
func (s *Store) applyLedgerOp(ctx context.Context, tx queryer, op subscribers.LedgerOp, at string, hinted bool) (ledgerMove, error) {
	mv := ledgerMove{delivery: op.DeliveryID, at: at}
	h := noHint
	if hinted {
		h = hint{campaign: op.CampaignID, on: true}
	}
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
		mv.from, err = s.updateFrom(ctx, tx, h, qBegin, waiting, at, op.DeliveryID, op.Attempts, op.ListID)
		if err == nil && mv.from == "" {
			mv.to, mv.keptAttempt, mv.result = subscribers.DeliverySkipped, true, subscribers.ErrStale
			mv.from, err = s.updateFrom(ctx, tx, h, qSkip, waiting, at, op.DeliveryID, op.Attempts)
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
		mv.from, err = s.updateFrom(ctx, tx, h, qPostpone, waiting, next, op.Error, op.Relay, at, op.DeliveryID, op.Attempts)
	case subscribers.OpSent:
		mv.to, mv.keptAttempt = subscribers.DeliverySent, true
		mv.from, _, err = s.updateAny(ctx, tx, h, qSent, qSent, op.DeliveryID, at, op.SMTPCode, op.Relay, at, op.DeliveryID)
	case subscribers.OpDeferred:
		mv.to, mv.keptAttempt = subscribers.DeliveryDeferred, true
		mv.from, _, err = s.updateAny(ctx, tx, h, qDeferred, qDeferred, op.DeliveryID, formatTime(op.NextAttempt), op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
	case subscribers.OpFailed:
		mv.to, mv.keptAttempt = subscribers.DeliveryFailed, true
		mv.from, _, err = s.updateAny(ctx, tx, h, qFailed, qFailed, op.DeliveryID, op.SMTPCode, op.Error, op.Relay, at, op.DeliveryID)
	case subscribers.OpRequeue:
		// The attempt is given back: kept only where there was none
		// (max(0 - 1, 0)); the fast way is for deliveries with some.
		var attempts int
		mv.to = subscribers.DeliveryDeferred
		mv.from, attempts, err = s.updateAny(ctx, tx, h, qRequeueAttempted, qRequeue, op.DeliveryID, at, op.Error, op.Relay, at, op.DeliveryID)
		mv.keptAttempt = attempts == 0
	default:
		return mv, fmt.Errorf("unknown ledger op %d", op.Kind)
	}
	return mv, err
}

// hint is the campaign an op says its delivery is in, as the statements
// check it (on: checked at all).
type hint struct {
	campaign int64
	on       bool
}

var noHint hint

// updateFrom runs q's statement for each status of froms until one
// changes the row, and returns that status; "" if none did. With h on, it
// runs q's hinted statements, with h's campaign after args.
func (s *Store) updateFrom(ctx context.Context, tx queryer, h hint, q ledgerQuery, froms []subscribers.DeliveryStatus, args ...any) (subscribers.DeliveryStatus, error) {
	if h.on {
		args = append(args, h.campaign)
	}
	for _, from := range froms {
		stmt := ledgerStatement(q, h.on, from)
		if stmt == "" {
			return "", fmt.Errorf("delivery in unknown status %q", from)
		}
		res, err := tx.ExecContext(ctx, stmt, args...)
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
// delivery (or a narrower one), before it reads the delivery. Hinted, it
// tries only fast.
func (s *Store) updateAny(ctx context.Context, tx queryer, h hint, fast, q ledgerQuery, id int64, args ...any) (subscribers.DeliveryStatus, int, error) {
	from, err := s.updateFrom(ctx, tx, h, fast, sendingOnly, args...)
	if from != "" || err != nil || h.on {
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
	from, err = s.updateFrom(ctx, tx, noHint, q, []subscribers.DeliveryStatus{st}, args...)
	return from, attempts, err
}

// countLedgerMoves returns the count moves of the moves a batch made:
// where the ops' hints did not place them, the deliveries' campaigns and
// recipient domains are read in one query.
func (s *Store) countLedgerMoves(ctx context.Context, tx queryer, moved []ledgerMove) ([]countMove, error) {
	if len(moved) == 0 {
		return nil, nil
	}
	var ids []int64
	for _, mv := range moved {
		if mv.from != mv.to && !mv.placed {
			ids = append(ids, mv.delivery)
		}
	}
	var of map[int64]place
	if len(ids) > 0 {
		var err error
		if of, err = s.deliveryPlaces(ctx, tx, ids); err != nil {
			return nil, fmt.Errorf("keep campaign counts: %w", err)
		}
	}
	moves := make([]countMove, 0, len(moved))
	for _, mv := range moved {
		p := mv.place
		if !mv.placed {
			p = of[mv.delivery]
		}
		moves = append(moves, countMove{campaign: p.campaign, domain: p.domain, from: mv.from, to: mv.to, keptAttempt: mv.keptAttempt, at: mv.at})
	}
	return moves, nil
}

// place is where a delivery counts: its campaign and recipient domain.
type place struct {
	campaign int64
	domain   string
}

// deliveryPlaces reads the campaign and recipient domain of deliveries.
// Neither changes once the delivery exists.
func (s *Store) deliveryPlaces(ctx context.Context, tx queryer, ids []int64) (map[int64]place, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.campaign_id,
			COALESCE((SELECT `+domainOf+` FROM subscribers WHERE id = d.subscriber_id), '')
		FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(?))`, jsonInts(ids))
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
