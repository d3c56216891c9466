package subscribers

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is a subscriber's deliverability state.
type Status string

const (
	StatusActive       Status = "active"
	StatusUnsubscribed Status = "unsubscribed"
	StatusBounced      Status = "bounced"
	StatusComplained   Status = "complained"
	StatusBlocklisted  Status = "blocklisted"
)

// Statuses lists every valid Status.
var Statuses = []Status{StatusActive, StatusUnsubscribed, StatusBounced, StatusComplained, StatusBlocklisted}

// Suppressed reports whether mail to a subscriber in this status is forbidden.
func (s Status) Suppressed() bool { return s != StatusActive }

// ParseStatus validates a status name.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown status %q (want one of active, unsubscribed, bounced, complained, blocklisted)", s)
}

// SubscriptionStatus is the state of one subscriber's consent to one list.
type SubscriptionStatus string

const (
	Subscribed   SubscriptionStatus = "subscribed"
	Unsubscribed SubscriptionStatus = "unsubscribed"
)

// Subscriber is one address and what is known about it.
type Subscriber struct {
	ID         int64
	Email      string
	Name       string
	Attributes map[string]any
	Status     Status
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Lists      []Subscription
}

// Subscription is a subscriber's membership of a list.
type Subscription struct {
	ListID         int64
	List           string
	ListTitle      string // what recipients see; empty means List
	Status         SubscriptionStatus
	Source         string
	ConsentedAt    time.Time
	UnsubscribedAt time.Time
	// Basis is the lawful basis the subscription is mailed on.
	Basis LawfulBasis
	// The consent record of a form subscription: the wording shown, and
	// where it was confirmed from (IP as web.store_ip keeps it).
	ConsentText  string
	ConsentIP    string
	ConsentAgent string
	// RequestedAt is when a form request still waiting for confirmation
	// was made (zero: none).
	RequestedAt time.Time
}

// List is a named audience. Name is the admin's handle for it, used in
// commands; Title is what recipients see in messages and on the
// unsubscribe pages.
type List struct {
	ID          int64
	Name        string
	Title       string // empty means Name
	Description string
	Visibility  Visibility
	CreatedAt   time.Time
	// OptIn is whether the list's subscribe form asks for confirmation.
	OptIn OptIn
	// Counts, filled by FindLists.
	Subscribed   int
	Unsubscribed int
	Active       int // subscribed and deliverable
}

// Event is one entry of the append-only history.
type Event struct {
	ID           int64
	SubscriberID int64
	ListID       int64
	CampaignID   int64
	Type         string
	OldStatus    string
	NewStatus    string
	Actor        string
	Reason       string
	CreatedAt    time.Time
}

// Event types.
const (
	EventCreated      = "created"
	EventSubscribed   = "subscribed"
	EventUnsubscribed = "unsubscribed"
	EventResubscribed = "resubscribed"
	EventStatus       = "status_changed"
	EventUpdated      = "updated"
	EventBounced      = "bounced"
	EventComplained   = "complained"
	EventRemoved      = "removed"
)

// Errors callers branch on.
var (
	ErrNotFound   = errors.New("not found")
	ErrExists     = errors.New("already exists")
	ErrSuppressed = errors.New("address is suppressed")
	ErrInvalid    = errors.New("invalid")
)

// IsPublic reports whether the list's issues are listed on the web.
func (l *List) IsPublic() bool { return l.Visibility == Public }

// DisplayName is the name recipients see: the title, else the name.
func (l *List) DisplayName() string {
	return listDisplayName(l.Name, l.Title)
}

// DisplayName is the name of the subscription's list that recipients see.
func (s *Subscription) DisplayName() string {
	return listDisplayName(s.List, s.ListTitle)
}

func listDisplayName(name, title string) string {
	if title != "" {
		return title
	}
	return name
}

// FirstName is the first word of the name, for greetings.
func (s *Subscriber) FirstName() string {
	f := strings.Fields(s.Name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// AddInput describes a subscriber added by an admin.
type AddInput struct {
	Email      string
	Name       string
	Attributes map[string]any
	Lists      []string
	Source     string      // consent source, e.g. "admin" or "import:clients.csv"
	Basis      LawfulBasis // lawful basis of new subscriptions; "" means consent
	Actor      string      // who did it, recorded in events
	// MaxAttributesBytes caps Attributes as JSON (default
	// DefaultMaxAttributesBytes), as the import does.
	MaxAttributesBytes int
}

// AddResult says what AddSubscriber did.
type AddResult struct {
	Subscriber *Subscriber
	Created    bool
	Subscribed []string // lists newly joined
	Skipped    []string // lists the person had left; left alone
}

// SubscriberFilter narrows FindSubscribers. Zero fields do not filter.
type SubscriberFilter struct {
	List   string
	Status Status
}

// EventUnsuppressed records an admin restoring an address that bounces
// suppressed by mistake (subscribers unsuppress).
const EventUnsuppressed = "unsuppressed"

// Unsuppressed is one subscriber Unsuppress restored, or would restore.
type Unsuppressed struct {
	SubscriberID int64  `json:"subscriber_id"`
	Email        string `json:"email"`
	SuppressedBy string `json:"suppressed_by"` // smtp or mail
	Bounce       string `json:"bounce"`        // the reason recorded when it was suppressed
}

// Counts sizes up a database at a glance, so a command can say which one
// it opened.
type Counts struct {
	Subscribers int // every subscriber, whatever their status
	Active      int // subscribers who may be mailed
	Lists       int
}

// SubscriberUpdate changes a subscriber's name and attributes. Nil fields
// are left alone. It never changes a status: suppression has its own
// paths, and only the person can undo one.
type SubscriberUpdate struct {
	Name       *string
	Attributes map[string]any // replaces them all when not nil
	// MaxAttributesBytes caps Attributes as JSON (default
	// DefaultMaxAttributesBytes), as the import and AddSubscriber do.
	MaxAttributesBytes int
}
