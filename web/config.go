package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Store is what the server needs from the database: its own reads and
// writes, and what applying a webhook's bounces needs (apply.Store).
// *sqlite.Store satisfies it.
type Store interface {
	apply.Store
	FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error)
	FindSubscriberByID(ctx context.Context, id int64) (*subscribers.Subscriber, error)
	FindSubscriberByEmail(ctx context.Context, email string) (*subscribers.Subscriber, error)
	FindListByID(ctx context.Context, id int64) (*subscribers.List, error)
	TrackingStore
	Unsubscribe(ctx context.Context, subscriberID, listID, campaignID int64, actor, reason string) error
	Resubscribe(ctx context.Context, subscriberID, listID int64, actor string) error
	Ping(ctx context.Context) error
	FindListByName(ctx context.Context, name string) (*subscribers.List, error)
	subscribers.ArchiveService
	// DataVersion changes whenever the database does: the archive keeps
	// its answers while it stays the same.
	DataVersion(ctx context.Context) (int64, error)
	// The preference centre.
	FindLists(ctx context.Context) ([]subscribers.List, error)
	JoinList(ctx context.Context, subscriberID, listID int64, actor, source string) error
	UpdateSubscriber(ctx context.Context, id int64, upd subscribers.SubscriberUpdate, actor string) (*subscribers.Subscriber, error)
	RemoveSubscriber(ctx context.Context, email, actor string) error
	Events(ctx context.Context, subscriberID int64) ([]subscribers.Event, error)
	// The subscribe forms.
	RequestSubscription(ctx context.Context, req subscribers.FormRequest) (*subscribers.FormResult, error)
	ConfirmSubscription(ctx context.Context, c subscribers.Confirmation) (subscribers.ConfirmResult, error)
}

// WebIssue is a sent issue rendered for its web version.
type WebIssue struct {
	Subject string
	HTML    []byte    // the whole email document, as sent
	Date    time.Time // the issue's own date; may be zero
}

// IssueRenderer renders a campaign's stored snapshot as its web version:
// the issue as sent, with neutral text wherever a recipient's data was,
// webURL as its own link and manageURL wherever a personal link was.
// cmd/dispatch wires templates.RenderWebVersion; web does not import the
// templates package.
type IssueRenderer func(snapshot []byte, webURL, manageURL string) (*WebIssue, error)

// Defaults applied by New to zero Config fields.
const (
	DefaultListen                = "127.0.0.1:8080"
	DefaultRatePerSecond         = 5
	DefaultRateBurst             = 30
	DefaultOneClickRatePerSecond = 100
	DefaultOneClickRateBurst     = 10_000
	DefaultWebhookRatePerSecond  = 50
	DefaultWebhookRateBurst      = 200
	DefaultMaxBodyBytes          = 64 << 10
	DefaultMaxWebhookBodyBytes   = webhook.DefaultMaxBodyBytes
	DefaultShutdownTimeout       = 10 * time.Second
	DefaultMaxClients            = 100_000
	DefaultArchiveRatePerSecond  = 20
	DefaultArchiveRateBurst      = 200
	DefaultArchivePageSize       = 20
)

// Config configures a Server.
type Config struct {
	// Listen is the TCP address Open listens on (web.listen).
	Listen string
	// BaseURL is the public address of the server (web.base_url). Its path,
	// if any, is the prefix every route is served under, so a proxy that
	// forwards https://example.com/news/... unchanged works.
	BaseURL string
	// Tokens verifies unsubscribe tokens. Required.
	Tokens *subscribers.Tokens
	// Store is the database. Required.
	Store Store
	// Webhooks verifies provider webhooks; nil disables /webhooks/ (404).
	Webhooks *webhook.Verifier
	// BouncePolicy is applied to webhook bounces (package bounce/apply),
	// which Tokens attributes to deliveries.
	BouncePolicy subscribers.BouncePolicy
	// SiteName is the newsletter's name, shown in every page's header and
	// used where a list has no name.
	SiteName string
	// Logger receives access logs and errors; nil discards them.
	Logger *slog.Logger

	// RatePerSecond and RateBurst size the token bucket each client gets
	// for the pages, /healthz and anything sent with an invalid link (an
	// IPv4 address, or an IPv6 /64). Zero means the default; a negative
	// rate disables limiting.
	RatePerSecond float64
	RateBurst     int
	// OneClickRatePerSecond and OneClickRateBurst size a second bucket per
	// client, used only by RFC 8058 one-click POSTs whose link verifies.
	// Mail providers send them from a few shared addresses, often in
	// batches, and each is a person's request that must not be lost, so
	// this limit is far higher: it only stops replaying one link at
	// flood rate. Zero means the default; a negative rate disables it.
	OneClickRatePerSecond float64
	OneClickRateBurst     int
	// WebhookRatePerSecond and WebhookRateBurst do the same for
	// /webhooks/: providers deliver in bursts from few IPs, and a 429 only
	// makes them retry later.
	WebhookRatePerSecond float64
	WebhookRateBurst     int
	// MaxClients bounds how many clients each limiter remembers; beyond
	// it, the least recently seen is forgotten.
	MaxClients int
	// TrustedProxies are the reverse proxies (web.trust_proxy, parsed by
	// ParseTrustedProxies) whose X-Forwarded-For entries are believed: a
	// request from one of them is attributed to the right-most entry that
	// is not a trusted proxy. Empty: the peer address is the client.
	TrustedProxies []netip.Prefix

	// MaxBodyBytes limits request bodies of the pages (413 beyond it).
	MaxBodyBytes int64
	// MaxWebhookBodyBytes limits webhook bodies; SES and SendGrid batch
	// several events per request.
	MaxWebhookBodyBytes int64
	// ShutdownTimeout bounds how long Run and Close wait for requests in
	// flight when the caller's context has no deadline of its own.
	ShutdownTimeout time.Duration

	// ScannerWindow: a click this soon after its delivery counts as a
	// security scanner's (tracking.scanner_window); zero means 60s.
	ScannerWindow time.Duration
	// ClickFlushEvery is how often counted clicks are written; zero means
	// every second.
	ClickFlushEvery time.Duration
	// Mail queues the messages the pages send (manage links, subscribe
	// confirmations); its Run must
	// be running. Nil: nothing is mailed, and the pages say the same.
	Mail *MailQueue
	// RenderIssue renders the web version of a sent issue; nil turns the
	// archive off (its routes answer 404).
	RenderIssue IssueRenderer
	// ArchiveRatePerSecond and ArchiveRateBurst size each client's bucket
	// for the archive (index, feed, web versions): pages anyone may read,
	// cacheable, and fetched by feed readers in bursts. Zero means the
	// default; a negative rate disables the limit.
	ArchiveRatePerSecond float64
	ArchiveRateBurst     int
	// ArchivePageSize is how many issues an archive page and the feed list.
	ArchivePageSize int

	// Subscribe configures the subscribe forms, which are off (404)
	// without Mail: no one could confirm.
	Subscribe SubscribeConfig

	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// withDefaults validates cfg and fills in zero fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Tokens == nil {
		errs = append(errs, errors.New("tokens are required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("store is required"))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base url %q is not an http(s) URL", c.BaseURL))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("web config: %w", err)
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.SiteName = strings.TrimSpace(c.SiteName); c.SiteName == "" {
		c.SiteName = "Newsletter"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = DefaultRatePerSecond
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.OneClickRatePerSecond == 0 {
		c.OneClickRatePerSecond = DefaultOneClickRatePerSecond
	}
	if c.OneClickRateBurst <= 0 {
		c.OneClickRateBurst = DefaultOneClickRateBurst
	}
	if c.WebhookRatePerSecond == 0 {
		c.WebhookRatePerSecond = DefaultWebhookRatePerSecond
	}
	if c.WebhookRateBurst <= 0 {
		c.WebhookRateBurst = DefaultWebhookRateBurst
	}
	if c.ArchiveRatePerSecond == 0 {
		c.ArchiveRatePerSecond = DefaultArchiveRatePerSecond
	}
	if c.ArchiveRateBurst <= 0 {
		c.ArchiveRateBurst = DefaultArchiveRateBurst
	}
	if c.ArchivePageSize <= 0 {
		c.ArchivePageSize = DefaultArchivePageSize
	}
	if c.MaxClients <= 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxWebhookBodyBytes <= 0 {
		c.MaxWebhookBodyBytes = DefaultMaxWebhookBodyBytes
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Subscribe = c.Subscribe.withDefaults()
	return c, nil
}

// pathPrefix is the path of baseURL without a trailing slash ("" for none).
func pathPrefix(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// origin is baseURL's scheme://host[:port], or "" for none.
func origin(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// UnsubscribeURL is the per-recipient link the mailer puts in each message
// (in the footer and in List-Unsubscribe): baseURL + "/u/" + token.
func UnsubscribeURL(baseURL, token string) string {
	return subscribers.UnsubscribeURL(baseURL, token)
}
