package subscribers

import (
	"errors"
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
	// CampaignID, when set, is the delivery's campaign and Domain its
	// recipient's domain (ReportDomain of the address the caller read and
	// mailed): where the move counts in the campaign's report. The store
	// checks the campaign as it moves the delivery, and looks it up itself
	// when it does not match, so a wrong campaign costs time, never a
	// count. The domain it takes as given: the report counts a message
	// under the domain it was sent to, even if the subscriber's address
	// has changed since it was read (looking it up again cost a
	// subscriber read per message).
	CampaignID int64
	Domain     string
}

// ReportDomain is the domain a report counts an address under: what
// follows the first '@' (the whole address if none), lower-cased in ASCII
// only, as SQLite's lower() does.
func ReportDomain(email string) string {
	d := email
	for i := 0; i < len(email); i++ {
		if email[i] == '@' {
			d = email[i+1:]
			break
		}
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; 'A' <= c && c <= 'Z' {
			b := []byte(d)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return d
}

// ErrNotSendable is the result of an OpBegin whose delivery must not be
// sent (subscriber left or suppressed, or already handled).
var ErrNotSendable = errors.New("delivery is no longer to be sent")

// ErrStale is the result of an OpBegin for a delivery that changed since
// the caller read it (another worker has it, or it is done).
var ErrStale = errors.New("delivery changed since it was read")

// FailureKind says why a delivery failed, and so whether sending it again
// can help.
type FailureKind string

const (
	// FailTemporary: given up after repeated temporary failures (4xx
	// replies, timeouts, connections lost). Trying again later may work.
	FailTemporary FailureKind = "temporary"
	// FailBounce: the recipient's server refused the address or mailbox
	// (a hard or soft bounce, recorded in bounces).
	FailBounce FailureKind = "bounce"
	// FailRefused: refused for a reason about the sender or the content.
	FailRefused FailureKind = "refused"
	// FailInvalid: the message could not be built (a bad address or data),
	// or the subscriber had no address.
	FailInvalid FailureKind = "invalid"
	// FailRemoved: the person was removed since (erased on request). They
	// are never mailed again, and nothing knows their address any more.
	FailRemoved FailureKind = "removed"
)

// GaveUpPrefix starts the error of a delivery failed after repeated
// temporary failures; the mailer writes it and failureKind reads it.
const GaveUpPrefix = "gave up after "

// FailedDelivery is a recipient of a campaign whose message failed.
type FailedDelivery struct {
	DeliveryID   int64
	SubscriberID int64
	Email        string // empty if the subscriber was removed since
	Name         string
	Kind         FailureKind
	Attempts     int
	SMTPCode     int
	Error        string
	Relay        string
	FailedAt     time.Time
}

// Retryable reports whether `campaigns retry` re-queues the delivery.
func (f FailedDelivery) Retryable() bool { return f.Kind == FailTemporary }

// RetryResult says what RetryFailed did.
type RetryResult struct {
	Requeued int
	// Kept counts the failed deliveries left alone, by kind: sending them
	// again would fail the same way or blame the recipient again.
	Kept map[FailureKind]int
}
