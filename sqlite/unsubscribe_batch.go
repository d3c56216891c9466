package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/dispatchhq/dispatch/subscribers"
)

// maxUnsubscribeBatch bounds one group commit, so that a flood cannot hold
// the write lock for long.
const maxUnsubscribeBatch = 256

// errStoreClosed answers an unsubscribe that arrives after Close.
var errStoreClosed = errors.New("database is closed")

// unsubscriber group-commits unsubscribes. RFC 8058 one-click POSTs arrive
// in bursts from mail providers; one transaction each means one WAL sync
// each, and writers queueing on SQLite's busy handler, which sleeps in
// steps of milliseconds. Instead a single goroutine takes every request
// waiting when a transaction starts, applies them all in it, and answers
// each caller only after the commit: no caller hears "done" for a change
// that is not on disk.
//
// Its connection syncs the WAL on every commit (synchronous=FULL), unlike
// the store's others: an unsubscribe that was confirmed to someone must
// survive a power cut too, and the group commit pays for that sync once
// per batch.
type unsubscriber struct {
	s    *Store
	ops  chan *unsubOp
	done chan struct{} // closed when run returns

	mu     sync.RWMutex // held for reading while sending to ops
	closed bool
}

type unsubOp struct {
	ctx                              context.Context
	subscriberID, listID, campaignID int64
	actor, reason                    string
	// apply, when set, is another small write from the public pages
	// (a subscribe form's request) committed in the same groups; it must
	// be safe to run again after a rolled-back attempt.
	apply  func(ctx context.Context, tx *sql.Tx) error
	result chan error // buffered: the writer never waits
}

// run applies op inside tx.
func (op *unsubOp) run(ctx context.Context, s *Store, tx *sql.Tx) error {
	if op.apply != nil {
		return op.apply(ctx, tx)
	}
	return s.unsubscribeTx(ctx, tx, op)
}

// unsubscribeWriter starts the writer on first use; nil after Close.
func (s *Store) unsubscribeWriter() *unsubscriber {
	s.unsubOnce.Do(func() {
		s.unsub = &unsubscriber{s: s, ops: make(chan *unsubOp, maxUnsubscribeBatch), done: make(chan struct{})}
		go s.unsub.run()
	})
	return s.unsub
}

// do queues op and waits for its commit, or for ctx. A caller that gives
// up may still see its change applied: it was asked for.
func (u *unsubscriber) do(op *unsubOp) error {
	u.mu.RLock()
	if u.closed {
		u.mu.RUnlock()
		return errStoreClosed
	}
	select {
	case u.ops <- op:
	case <-op.ctx.Done():
		u.mu.RUnlock()
		return op.ctx.Err()
	}
	u.mu.RUnlock()
	select {
	case err := <-op.result:
		return err
	case <-op.ctx.Done():
		return op.ctx.Err()
	}
}

// close applies what is queued, stops the writer and waits for it.
func (u *unsubscriber) close() {
	u.mu.Lock()
	if !u.closed {
		u.closed = true
		close(u.ops)
	}
	u.mu.Unlock()
	<-u.done
}

func (u *unsubscriber) run() {
	defer close(u.done)
	ctx := context.Background()
	conn, connErr := u.s.db.Conn(ctx)
	if connErr == nil {
		if _, connErr = conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); connErr != nil {
			conn.Close()
		}
	}
	if connErr == nil {
		defer conn.Close()
	}
	batch := make([]*unsubOp, 0, maxUnsubscribeBatch)
	for op := range u.ops {
		batch = append(batch[:0], op)
	more:
		for len(batch) < maxUnsubscribeBatch {
			select {
			case op, ok := <-u.ops:
				if !ok {
					break more
				}
				batch = append(batch, op)
			default:
				break more
			}
		}
		if connErr != nil {
			for _, op := range batch {
				op.result <- fmt.Errorf("unsubscribe: open connection: %w", connErr)
			}
			continue
		}
		u.commit(ctx, conn, batch)
	}
}

// commit applies batch in one transaction and answers every op. If the
// transaction fails as a whole, each op is retried in one of its own, so
// that one bad request cannot fail the others.
func (u *unsubscriber) commit(ctx context.Context, conn *sql.Conn, batch []*unsubOp) {
	live := batch[:0:0]
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.result <- err // nobody is waiting for it any more
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	errs := make([]error, len(live))
	err := inTxOn(ctx, conn, func(tx *sql.Tx) error {
		for i, op := range live {
			errs[i] = op.run(ctx, u.s, tx)
			// A subscriber removed meanwhile is found missing before
			// anything is written; any other error may have left a
			// statement half done, so the transaction must go.
			if errs[i] != nil && !errors.Is(errs[i], subscribers.ErrNotFound) {
				return errs[i]
			}
		}
		return nil
	})
	if err == nil {
		for i, op := range live {
			op.result <- errs[i]
		}
		return
	}
	if len(live) == 1 {
		live[0].result <- err
		return
	}
	for _, op := range live {
		op.result <- inTxOn(ctx, conn, func(tx *sql.Tx) error { return op.run(ctx, u.s, tx) })
	}
}
