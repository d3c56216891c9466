package mailer

import (
	"context"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ledger commits delivery state changes in groups: every op waiting when a
// transaction starts goes into it. Workers wait for their "begin" to be
// durable before putting a message on the wire; results are fire and
// forget, but commit no later than that worker's next begin (ops are
// applied in arrival order).
type ledger struct {
	store Store
	reqs  chan ledgerReq
	done  chan struct{}

	mu  sync.Mutex
	err error // the first commit failure; the run must stop
}

type ledgerReq struct {
	op    subscribers.LedgerOp
	reply chan error // nil: nobody waits
}

// maxGroup bounds one transaction.
const maxGroup = 512

func newLedger(store Store) *ledger {
	l := &ledger{store: store, reqs: make(chan ledgerReq, 1024), done: make(chan struct{})}
	go l.run()
	return l
}

// run owns the commit loop; it ends when close is called and everything
// queued is committed.
func (l *ledger) run() {
	defer close(l.done)
	group := make([]ledgerReq, 0, maxGroup)
	ops := make([]subscribers.LedgerOp, 0, maxGroup)
	// Counts the store holds back are written once the loop has been idle
	// for ledgerIdle, so that progress views catch up between bursts.
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	defer idle.Stop()
	for {
		var first ledgerReq
		select {
		case r, ok := <-l.reqs:
			if !ok {
				l.fail(l.store.FlushLedgerCounts(context.Background()))
				return
			}
			first = r
		case <-idle.C:
			l.fail(l.store.FlushLedgerCounts(context.Background()))
			continue
		}
		group = append(group[:0], first)
	drain:
		for len(group) < maxGroup {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		ops = ops[:0]
		for _, r := range group {
			ops = append(ops, r.op)
		}
		// The commit must happen even while the run is being cancelled:
		// these are facts about messages already handled.
		results, err := l.store.ApplyLedgerBuffered(context.Background(), ops)
		l.fail(err)
		for i, r := range group {
			if r.reply == nil {
				continue
			}
			if err != nil {
				r.reply <- err
			} else {
				r.reply <- results[i]
			}
		}
		idle.Reset(ledgerIdle)
	}
}

// ledgerIdle is how long the loop waits for more before it has the store
// write the counts it holds back.
const ledgerIdle = 100 * time.Millisecond

// fail records the first commit failure.
func (l *ledger) fail(err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
}

// begin durably marks a delivery as going on the wire. It returns
// subscribers.ErrNotSendable when the subscriber must no longer be mailed.
func (l *ledger) begin(op subscribers.LedgerOp) error {
	reply := make(chan error, 1)
	l.reqs <- ledgerReq{op: op, reply: reply}
	return <-reply
}

// record queues a result; it is committed with the next group.
func (l *ledger) record(op subscribers.LedgerOp) {
	l.reqs <- ledgerReq{op: op}
}

// counted is op on d with where d counts in the campaign's report, which
// spares the store reading it for every commit (LedgerOp.CampaignID).
func (st *runState) counted(d subscribers.Delivery, op subscribers.LedgerOp) subscribers.LedgerOp {
	op.CampaignID, op.Domain = st.c.ID, subscribers.ReportDomain(d.Email)
	return op
}

// close commits what is queued and stops the loop.
func (l *ledger) close() error {
	close(l.reqs)
	<-l.done
	return l.failure()
}

func (l *ledger) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
