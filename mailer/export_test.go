package mailer

import (
	"sync"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Ledger exposes the group-commit ledger to the black-box tests, which
// drive it against a real store.
type Ledger struct {
	l    *ledger
	once sync.Once
	err  error
}

func NewLedger(s Store) *Ledger { return &Ledger{l: newLedger(s)} }

func (l *Ledger) Begin(op subscribers.LedgerOp) error { return l.l.begin(op) }

func (l *Ledger) Record(op subscribers.LedgerOp) { l.l.record(op) }

// RecordSync is what the sender does for results the feeder must see.
func (l *Ledger) RecordSync(op subscribers.LedgerOp) error {
	reply := make(chan error, 1)
	l.l.reqs <- ledgerReq{op: op, reply: reply}
	return <-reply
}

// Close may be called again; later calls return the first result.
func (l *Ledger) Close() error {
	l.once.Do(func() { l.err = l.l.close() })
	return l.err
}
