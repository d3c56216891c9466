package subscribers

import (
	"fmt"
	"strings"
	"time"
)

// Unconfirmed is a subscription asked for through a subscribe form and not
// yet confirmed from the email that asks. It is never sent a campaign.
const Unconfirmed SubscriptionStatus = "unconfirmed"

// DefaultImportBasis is the basis an import records when none is given:
// importing a list asserts that the people on it asked for it. Clients
// mailed under the soft opt-in are imported with --basis contract.
const DefaultImportBasis = BasisConsent

// ParseBasis reads the lawful basis of a subscription, which is never
// empty (unlike a list's, see ParseLawfulBasis): consent, contract or
// legitimate-interest, in any case.
func ParseBasis(s string) (LawfulBasis, error) {
	for _, b := range []LawfulBasis{BasisConsent, BasisContract, BasisLegitimateInterest} {
		if strings.EqualFold(strings.TrimSpace(s), string(b)) {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown lawful basis %q (want consent, contract or legitimate-interest): %w", s, ErrInvalid)
}

// OptIn says whether a list's subscribe form asks for confirmation.
type OptIn string

const (
	// OptInDouble: the form sends an email whose link must be confirmed.
	OptInDouble OptIn = "double"
	// OptInSingle: the form subscribes at once. A person who had left
	// the list is still asked to confirm: a form anyone can fill in must
	// not undo their unsubscribe.
	OptInSingle OptIn = "single"
)

// ParseOptIn validates an opt-in mode.
func ParseOptIn(s string) (OptIn, error) {
	switch OptIn(strings.ToLower(strings.TrimSpace(s))) {
	case OptInDouble:
		return OptInDouble, nil
	case OptInSingle:
		return OptInSingle, nil
	}
	return "", fmt.Errorf("unknown opt-in %q (want single or double): %w", s, ErrInvalid)
}

// MaySelfResubscribe reports whether the person's own request (the
// resubscribe button, a confirmed subscribe form) may make an address in
// this status active again. An unsubscribe is theirs to undo; a hard
// bounce, a complaint or an admin's block is not: a click proves neither
// that the mailbox works nor that the block was a mistake.
func (s Status) MaySelfResubscribe() bool {
	return s == StatusActive || s == StatusUnsubscribed
}

// FormRequest is a subscribe form's POST, as the store records it.
type FormRequest struct {
	Email  string
	Name   string // optional; never overwrites a name already stored
	ListID int64
	// Source names the form ("form:/subscribe/news" or "form:embedded").
	Source string
	// ConsentText is the wording the form showed.
	ConsentText string
	// Single subscribes at once (the list is single opt-in); IP and
	// UserAgent are then the consent record's.
	Single    bool
	IP        string
	UserAgent string
}

// FormOutcome is what a form request did. The page a person sees is the
// same for every outcome; only the mail differs.
type FormOutcome int

const (
	// FormPending: a confirmation is waiting; mail its link.
	FormPending FormOutcome = iota + 1
	// FormSubscribed: single opt-in, subscribed now; nothing to mail.
	FormSubscribed
	// FormAlready: already subscribed; nothing to do or mail.
	FormAlready
	// FormSuppressed: the address must not be mailed at all.
	FormSuppressed
)

// FormResult says what RequestSubscription did.
type FormResult struct {
	Outcome      FormOutcome
	SubscriberID int64
	Created      bool // a new subscriber was made for the request
}

// Confirmation is a person confirming a form request from its email.
type Confirmation struct {
	SubscriberID int64
	ListID       int64
	// IP (as web.store_ip keeps it) and UserAgent confirmed it.
	IP        string
	UserAgent string
}

// ConfirmResult says what ConfirmSubscription did.
type ConfirmResult struct {
	// Resubscribed: the person had left the list (or everything) and came
	// back through the form; recorded as their own re-subscription.
	Resubscribed bool
	// Already: nothing was pending; the subscription was already active.
	Already bool
}

// EventConfirmed records a form subscription confirmed from its email, or
// a single opt-in form subscription.
const EventConfirmed = "confirmed"

// EventRequested records a form request waiting for confirmation.
const EventRequested = "requested"

// EventPurged records an unconfirmed request removed as stale.
const EventPurged = "purged"

// PurgeResult says what PurgeUnconfirmed removed.
type PurgeResult struct {
	Subscriptions int // unconfirmed subscriptions deleted
	Subscribers   int // subscribers deleted because the request was all they were
	Requests      int // pending requests on lists the person had left, dropped
}

// ConfirmRef is what a confirmation link names.
type ConfirmRef struct {
	SubscriberID int64
	ListID       int64
	Issued       time.Time // to the second
}
