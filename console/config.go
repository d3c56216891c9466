package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/tracking"
)

// Store is what the console needs from the database. *sqlite.Store
// satisfies it.
type Store interface {
	accounts.Store
	Ping(ctx context.Context) error

	// Lists.
	FindLists(ctx context.Context) ([]subscribers.List, error)
	FindListByID(ctx context.Context, id int64) (*subscribers.List, error)
	CreateList(ctx context.Context, nl subscribers.NewList) (*subscribers.List, error)
	RenameList(ctx context.Context, oldName, newName string) (*subscribers.List, error)
	UpdateList(ctx context.Context, name string, upd subscribers.ListUpdate) (*subscribers.List, error)
	DeleteList(ctx context.Context, name, actor string) error
	RecordEvent(ctx context.Context, e subscribers.Event) error

	// Subscribers (the same domain methods as the CLI's subscribers commands).
	SearchSubscribers(ctx context.Context, q subscribers.SubscriberQuery) (*subscribers.SubscriberPage, error)
	FindSubscriberByID(ctx context.Context, id int64) (*subscribers.Subscriber, error)
	FindSubscribers(ctx context.Context, f subscribers.SubscriberFilter, fn func(*subscribers.Subscriber) error) error
	Events(ctx context.Context, subscriberID int64) ([]subscribers.Event, error)
	AddSubscriber(ctx context.Context, in subscribers.AddInput) (*subscribers.AddResult, error)
	UpdateSubscriber(ctx context.Context, id int64, upd subscribers.SubscriberUpdate, actor string) (*subscribers.Subscriber, error)
	Unsubscribe(ctx context.Context, subscriberID, listID, campaignID int64, actor, reason string) error
	Blocklist(ctx context.Context, email, actor, reason string) (*subscribers.Subscriber, error)
	RemoveSubscriber(ctx context.Context, email, actor string) error
	FindSuppressed(ctx context.Context, q subscribers.SuppressedQuery) (*subscribers.SuppressedPage, error)
	BlocklistAll(ctx context.Context, emails []string, actor, reason string) (*subscribers.BlocklistResult, error)

	// The dashboard.
	FindStatusCounts(ctx context.Context) (subscribers.StatusCounts, error)
	FindCampaigns(ctx context.Context) ([]subscribers.Campaign, error)
	FindCampaignStats(ctx context.Context, id int64) (subscribers.CampaignStats, error)

	// Campaign click reports.
	FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error)
	tracking.ReportStore
	FindCheckReport(ctx context.Context, key string) ([]byte, time.Time, error)

	// The import history (the runner writes it, the import pages read it).
	FindImportRecords(ctx context.Context, limit int) ([]subscribers.ImportRecord, error)
	FindImportRecord(ctx context.Context, id int64) (*subscribers.ImportRecord, error)
	FindImportInvalidRows(ctx context.Context, id int64, fn func(subscribers.InvalidRow) error) error
	// Issues edited in the console, with their history, and the list
	// attributes their checks compare with.
	subscribers.IssueService
	CountAttributes(ctx context.Context, listID int64) (map[string]int, error)

	// Campaign reports.
	FindCampaignReport(ctx context.Context, id int64, topDomains int) (subscribers.CampaignReport, error)
	FindCampaignMinutes(ctx context.Context, id int64) ([]subscribers.MinuteCount, error)
	FindListGrowth(ctx context.Context, listID int64, since time.Time) ([]subscribers.GrowthWeek, error)
}

// ImportRunner runs imports in the background (*imports.Runner).
type ImportRunner interface {
	Start(ctx context.Context, req imports.Request) (int64, error)
	Progress(id int64) (imports.Progress, bool)
}

// Defaults applied by New to zero Config fields.
const (
	DefaultListen          = "127.0.0.1:8081"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxUploadMB     = 50 // admin.max_upload_mb
	// DefaultTypedConfirmAbove: a mistaken send to a hundred clients is
	// already one to apologise for.
	DefaultTypedConfirmAbove = 100
)

// Config configures a Server.
type Config struct {
	// Listen is the TCP address Open listens on (admin.listen).
	Listen string
	// BaseURL is where admins reach the console (admin.base_url). Its
	// path, if any, prefixes every route; https makes cookies Secure.
	// Empty means http://Listen/.
	BaseURL string
	// Store is the database. Required.
	Store Store
	// SiteName is shown in the header.
	SiteName string
	// IdleTimeout and Lifetime bound sessions (see accounts.Service).
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// BounceMailbox is true when a bounce mailbox is polled; the dashboard
	// then warns when the last successful poll is older than
	// BounceMailboxStale.
	BounceMailbox      bool
	BounceMailboxStale time.Duration
	// Campaigns pauses, resumes and cancels campaigns and says who runs
	// them; nil leaves the campaign pages out of the console.
	Campaigns Campaigns
	// HowToAddUser is the command shown when there is no account yet.
	HowToAddUser string
	// Logger receives access logs and errors; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies of forms (uploads set their own).
	MaxBodyBytes int64
	// Imports runs the imports started from the import pages, and Uploads
	// keeps the uploaded files until they are imported (its limit is the
	// upload limit, admin.max_upload_mb); the pages preview an upload with
	// the import's own reader (csvimport.PreviewImport). Without both the
	// import pages say imports are not set up.
	Imports ImportRunner
	Uploads *imports.Spool
	// ImportLimits bound the rows of an import, as import.* does for the CLI.
	ImportLimits subscribers.ImportLimits
	// ShutdownTimeout bounds how long Run and Close wait for requests.
	ShutdownTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Issues is the renderer's configuration for issues edited in the
	// console (postal address, From, layout); ListName is set per list.
	Issues templates.Config
	// Sending sends test copies and campaigns; nil leaves the issue pages
	// able to edit and preview only, and they say why.
	Sending Sending
	// TypedConfirmAbove is the number of recipients above which a send to
	// a list must be confirmed by typing the list's name
	// (admin.typed_confirm_above). Zero means DefaultTypedConfirmAbove.
	TypedConfirmAbove int
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("store is required"))
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("base url %q is not an http(s) URL", c.BaseURL))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("console config: %w", err)
	}
	if c.SiteName = strings.TrimSpace(c.SiteName); c.SiteName == "" {
		c.SiteName = "Dispatch"
	}
	if c.HowToAddUser == "" {
		c.HowToAddUser = "dispatch users add you@example.com"
	}
	if c.BounceMailboxStale <= 0 {
		c.BounceMailboxStale = time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TypedConfirmAbove <= 0 {
		c.TypedConfirmAbove = DefaultTypedConfirmAbove
	}
	return c, nil
}
