package subscribers

import "time"

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

// BounceCounts summarises bounces for a campaign.
type BounceCounts struct {
	Hard, Soft, Complaints int
}

// Defaults of the address-matching rule (BouncePolicy).
const (
	// DefaultAddressMatchWindow is how recently an address must have been
	// sent a message for a report naming it, without a delivery token, to
	// count (bounces.address_match_window).
	DefaultAddressMatchWindow = 14 * 24 * time.Hour
	// DefaultMaxAddressRecipients is how many recipients a report may name
	// and still be matched by address. Dispatch mails one recipient per
	// message, so a genuine report names one; a few allow for forwarding
	// and aliases. A report naming thousands is a forgery or a relay's
	// digest, and must not suppress a list.
	DefaultMaxAddressRecipients = 5
)

// UnattributedReport is a bounce or complaint report that could not be tied
// to a delivery Dispatch made, and so changed no one.
type UnattributedReport struct {
	ID     int64      `json:"id"`
	Kind   BounceKind `json:"kind"`
	Source string     `json:"source"`
	// Key identifies the report (as Bounce.Key); recording a report with a
	// key already recorded changes nothing.
	Key        string    `json:"-"`
	Reason     string    `json:"reason"`
	Recipients int       `json:"recipients"`
	Addresses  []string  `json:"addresses"` // the first few recipients named
	Status     string    `json:"status,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
