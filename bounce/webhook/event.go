package webhook

import "time"

// Kind classifies a provider event by what the caller should do about it.
type Kind string

// Kinds of events. Deliveries, opens, clicks and other provider events are
// not reported.
const (
	KindHard Kind = "hard" // permanent failure: suppress the address
	KindSoft Kind = "soft" // transient failure: count towards a limit
	// KindRefused is a refusal about the sender, not the recipient (a
	// provider's "block" or "policy" event, an authentication or content
	// refusal): the recipient stays active.
	KindRefused     Kind = "refused"
	KindComplaint   Kind = "complaint"   // the recipient reported the message as spam
	KindUnsubscribe Kind = "unsubscribe" // the provider recorded an unsubscribe
)

// Provider names, as used in the webhook path POST /webhooks/{provider}.
const (
	ProviderSES      = "ses"
	ProviderSendGrid = "sendgrid"
	ProviderPostmark = "postmark"
	ProviderMailgun  = "mailgun"
)

// DeliveryHeader is the header Dispatch puts on every message to identify the
// delivery. Providers that echo headers (SES with original headers enabled)
// report it in Event.Headers; Event.DeliveryID also looks in provider
// variables.
const DeliveryHeader = "X-Dispatch-Delivery"

// Event is one bounce, complaint or unsubscribe for one recipient.
//
// One provider notification may yield several Events (SES reports several
// recipients at once), all with the same EventID, so deduplicate on
// (Provider, EventID, Email).
type Event struct {
	Provider string
	Kind     Kind
	Email    string // recipient address as the provider reports it
	Status   string // RFC 3463 enhanced status code, e.g. "5.1.1", if known
	Reason   string // provider text or SMTP diagnostic

	// MessageID is the Message-ID header of our message as the provider
	// reports it, without angle brackets; empty if the provider does not
	// echo it (Postmark).
	MessageID string
	// ProviderMessageID is the provider's own id for the message (SES
	// mail.messageId, SendGrid sg_message_id, Postmark MessageID).
	ProviderMessageID string

	// Headers holds selected original headers the provider echoed, keyed in
	// canonical MIME form (textproto.CanonicalMIMEHeaderKey: "Message-Id",
	// "X-Dispatch-Delivery"). Nil when none were echoed.
	Headers map[string]string
	// Vars holds the provider's custom variables for the message: SendGrid
	// custom (unique) args, Mailgun user-variables, Postmark Metadata, SES
	// message tags. Nil when none.
	Vars map[string]string
	// DeliveryID is the value of DeliveryHeader from Headers, or else of a
	// variable named like it ("X-Dispatch-Delivery", "dispatch_delivery",
	// "dispatch-delivery", any case); empty if neither is present.
	DeliveryID string

	Time    time.Time // when the provider saw the event; receipt time if unknown
	EventID string    // provider's id for the notification, for idempotency
	// BodyKey is the SHA-256 of the request body (hex) and the event's
	// position in it: a provider's retry of the same request gets the same
	// keys, so it identifies the event when the provider gives no EventID.
	BodyKey string
	// Recipients is how many recipients the notification named (SES lists
	// several in one); 0 or 1 for providers that report one per event.
	Recipients int
}

// Result is what Handle returns for a verified request.
type Result struct {
	// Events are the bounces, complaints and unsubscribes in the request, in
	// the provider's order. Empty for requests with nothing to act on.
	Events []Event
	// Subscription is set for SNS SubscriptionConfirmation and
	// UnsubscribeConfirmation messages, which carry no events.
	Subscription *Subscription
}

// SNS message types for Subscription.Type.
const (
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Subscription reports a verified SNS subscription lifecycle message.
type Subscription struct {
	Type         string // SNSSubscriptionConfirmation or SNSUnsubscribeConfirmation
	TopicARN     string
	SubscribeURL string // visit it to confirm (or re-confirm) the subscription
	// Confirmed is true when Handle confirmed the subscription by fetching
	// SubscribeURL (SESConfig.AutoConfirm). When false for a
	// SubscriptionConfirmation, an operator must visit SubscribeURL.
	Confirmed bool
}
