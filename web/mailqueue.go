package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Mail is a message the public server sends on its own account: a link to
// a preference centre, a confirmation. Plain text, to one address.
type Mail struct {
	To      string
	Subject string
	Text    string

	// Kind names a message rendered from a template with the sender's
	// layout rather than sent as Subject and Text: MailConfirm, a
	// subscribe form's confirmation (package web/pagemail renders it).
	Kind         string
	Name         string // the recipient's name, if given
	SubscriberID int64
	ListID       int64
	ListName     string // as recipients know it
	URL          string // the link the message is about
}

// MailConfirm is the Kind of a subscribe form's confirmation.
const MailConfirm = "confirm"

// MailSender sends one message through the relay and blocks until it
// answers. cmd/dispatch wires mailer.Sender.SendNotice.
type MailSender func(ctx context.Context, m Mail) error

// DefaultMailQueueSize bounds the messages waiting to be sent.
const DefaultMailQueueSize = 1000

// mailRetries are the waits before each retry of a message the relay
// did not take.
var mailRetries = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}

// MailQueue holds the messages pages ask for and sends them from one
// background worker (Run), so that no request waits for SMTP. It is in
// memory: a message queued when the process stops is lost, which suits
// messages a person can ask for again. Enqueue is safe for concurrent use.
type MailQueue struct {
	ch     chan Mail
	send   MailSender
	log    *slog.Logger
	sent   atomic.Int64
	failed atomic.Int64
}

// NewMailQueue returns a queue of size messages (DefaultMailQueueSize if
// size <= 0) that send delivers; logger may be nil.
func NewMailQueue(send MailSender, size int, logger *slog.Logger) *MailQueue {
	if size <= 0 {
		size = DefaultMailQueueSize
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &MailQueue{ch: make(chan Mail, size), send: send, log: logger}
}

// Enqueue queues m without blocking. It returns false when the queue is
// full; the message is then dropped, and the caller's page says the same
// as ever, so a flood cannot be told from normal use.
func (q *MailQueue) Enqueue(m Mail) bool {
	select {
	case q.ch <- m:
		return true
	default:
		q.log.Warn("mail queue full; message dropped", "subject", m.Subject)
		return false
	}
}

// Run sends queued messages until ctx ends, one at a time, retrying a
// message the relay refuses or cannot take a few times. It blocks and
// returns nil when ctx ends; messages still queued then are dropped.
func (q *MailQueue) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			if n := len(q.ch); n > 0 {
				q.log.Warn("mail queue stopped with messages unsent", "count", n)
			}
			return nil
		case m := <-q.ch:
			q.deliver(ctx, m)
		}
	}
}

func (q *MailQueue) deliver(ctx context.Context, m Mail) {
	for attempt := 0; ; attempt++ {
		err := q.send(ctx, m)
		if err == nil {
			q.sent.Add(1)
			return
		}
		if attempt >= len(mailRetries) || ctx.Err() != nil {
			q.failed.Add(1)
			// The address is not logged: it is personal data, and the
			// subject says what kind of message failed.
			q.log.Error("mail not sent", "subject", m.Subject, "attempts", attempt+1, "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(mailRetries[attempt]):
		}
	}
}

// Sent and Failed count the messages sent and given up on so far.
func (q *MailQueue) Sent() int64   { return q.sent.Load() }
func (q *MailQueue) Failed() int64 { return q.failed.Load() }
