package apply

import (
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Report is one classified bounce or complaint notification, as a reader
// found it.
type Report struct {
	// Source is recorded with each bounce and is the actor of the events
	// it causes: "mail", "webhook:ses", ...
	Source string
	// Origin names the notification in logs: a file path, an mbox position,
	// an IMAP UID, a provider's event id.
	Origin string
	// Key identifies the notification; each recipient's bounce is keyed
	// Key + ":" + address, so a second reading changes nothing. Empty: no
	// deduplication.
	Key string
	// Refs are the delivery tokens found, most trusted first.
	Refs []Ref
	// Recipients are the failed recipients the notification reports.
	Recipients []Recipient
	// Named is how many recipients the whole notification names, when a
	// reader sees only some of them (a provider splits one notification
	// into one event per recipient); 0 means len(Recipients).
	Named int
	// Dropped counts recipients the reader left out at a limit, and
	// Truncated says which limits the notification ran into: a report cut
	// short is never matched by address.
	Dropped   int
	Truncated string
	// Detail says where the notification came from, kept with it when it
	// is recorded as unattributed (the only time it is called); nil: none.
	Detail func() string
}

// Recipient is one failed recipient of a report.
type Recipient struct {
	Address string // as reported; may be empty (a redacted complaint)
	Kind    subscribers.BounceKind
	Status  string // RFC 3463, e.g. 5.1.1
	Reason  string // the diagnostic text kept with the bounce
	// Refused: the failure was about the sender (address, domain,
	// authentication, policy, content; bounce.BlameSender), not the
	// recipient, who is never charged with it.
	Refused bool
}

// Applied is one bounce or complaint recorded for one recipient.
type Applied struct {
	Address      string                 `json:"address"`
	Kind         subscribers.BounceKind `json:"kind"`
	Status       string                 `json:"status,omitempty"`
	Reason       string                 `json:"reason,omitempty"`
	Attribution  Attribution            `json:"attribution"`
	SubscriberID int64                  `json:"subscriber_id,omitempty"`
	DeliveryID   int64                  `json:"delivery_id,omitempty"`
	CampaignID   int64                  `json:"campaign_id,omitempty"`
	// Suppressed is the status the subscriber was moved to, if any.
	Suppressed subscribers.Status `json:"suppressed,omitempty"`
	Duplicate  bool               `json:"duplicate,omitempty"` // recorded before; nothing changed
	Unknown    bool               `json:"unknown,omitempty"`   // no subscriber has that address
	// Unattributed says why a report tied to no delivery was not applied
	// to this address (recorded for review; nothing changed).
	Unattributed string `json:"unattributed,omitempty"`
}

// Result is what applying one report did.
type Result struct {
	Recipients []Applied
	// ReportRecipients is how many recipients the report named, including
	// any the reader left out.
	ReportRecipients int
	// Unattributed: the report could not be tied to a subscriber; it was
	// recorded for review and changed no one. Ignored says why.
	Unattributed bool
	// Duplicate: every recipient (or the whole unattributed report) was
	// recorded before; nothing changed.
	Duplicate bool
	// SenderRefused holds the diagnostic of a report whose every recipient
	// was Refused: nothing was recorded, and the admin has something to fix.
	SenderRefused string
	Ignored       string
}

// recipientKey extends a report key to one recipient, since one
// notification may report on several.
func recipientKey(key, addr string) string {
	if key == "" {
		return ""
	}
	return key + ":" + strings.ToLower(strings.TrimSpace(addr))
}

// addresses returns the distinct addresses a report names.
func addresses(rs []Recipient) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		n := subscribers.NormalizeEmail(r.Address)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, r.Address)
	}
	return out
}
