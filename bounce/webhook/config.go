package webhook

import (
	"net/http"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxAge          = 10 * time.Minute
	DefaultMaxBodyBytes    = 1 << 20 // 1 MiB
	DefaultPostmarkHeader  = "X-Webhook-Token"
	defaultHTTPTimeout     = 10 * time.Second
	maxCertBytes           = 64 << 10
	maxConfirmBodyBytes    = 64 << 10
	defaultMinTokenPruning = 1024
)

// Config configures a Verifier. A provider whose section is left empty is
// disabled: Handle answers ErrUnknownProvider for it.
type Config struct {
	SES      SESConfig
	SendGrid SendGridConfig
	Postmark PostmarkConfig
	Mailgun  MailgunConfig

	// MaxAge bounds how far a signed timestamp (SNS Timestamp, SendGrid
	// timestamp header, Mailgun signature timestamp) may be from Now, in
	// either direction. Zero means DefaultMaxAge; negative disables the
	// check. A provider retry that keeps its original timestamp (SNS does)
	// is rejected once older than MaxAge.
	MaxAge time.Duration
	// MaxBodyBytes limits the request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Headers names original headers to surface in Event.Headers, besides
	// Message-ID and DeliveryHeader, when a provider echoes them.
	Headers []string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// SESConfig configures Amazon SES notifications delivered through an SNS
// HTTPS subscription (raw message delivery off).
type SESConfig struct {
	// Enabled turns the endpoint on. SNS needs no shared secret: messages
	// are verified against Amazon's signing certificate.
	Enabled bool
	// TopicARNs lists the SNS topics SES publishes to
	// (arn:aws:sns:REGION:ACCOUNT:NAME). Required when Enabled: a message
	// from any other topic is refused, and only these topics' subscriptions
	// are confirmed. Anyone with an AWS account can create a topic and
	// sign messages for it, so without the list the signature proves
	// nothing about who sent the bounce.
	TopicARNs []string
	// AutoConfirm confirms subscriptions by fetching SubscribeURL.
	AutoConfirm bool
	// HTTPClient fetches signing certificates and SubscribeURLs; nil means a
	// client with a 10 s timeout. Redirects are never followed, whatever the
	// client says, so the host check cannot be bypassed.
	HTTPClient *http.Client
}

// SendGridConfig configures the SendGrid Signed Event Webhook.
type SendGridConfig struct {
	// PublicKey is the verification key SendGrid shows: base64 of the DER
	// SubjectPublicKeyInfo of an ECDSA P-256 key. A PEM block is accepted
	// too.
	PublicKey string
}

// PostmarkConfig configures Postmark webhooks. Postmark does not sign
// requests; put the credentials in the webhook URL
// (https://user:pass@host/webhooks/postmark) and/or a custom webhook header.
// Whatever is set here is required on every request.
type PostmarkConfig struct {
	Username string // HTTP basic auth; set with Password
	Password string
	// Token is a shared secret expected in header TokenHeader.
	Token       string
	TokenHeader string // default DefaultPostmarkHeader
}

// MailgunConfig configures Mailgun webhooks (JSON, "event-data" format).
type MailgunConfig struct {
	// SigningKey is the HTTP webhook signing key from the Mailgun dashboard.
	// A subaccount's events verify against either its own key
	// ("signature") or the primary account's ("parent-signature").
	SigningKey string
	// RememberTokens rejects a token already seen within MaxAge. It stops
	// replays of a captured signature, but also rejects a provider retry that
	// reuses its token after a failed first attempt; the memory is
	// per-Verifier (per process).
	RememberTokens bool
}
