package campaign

import (
	"context"
	"log/slog"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Store is what the send use case needs from storage.
type Store interface {
	FindLatestCampaign(ctx context.Context, slug string, listID int64) (*subscribers.Campaign, error)
	FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error)
	FindCampaignStats(ctx context.Context, id int64) (subscribers.CampaignStats, error)
	CountActiveMembers(ctx context.Context, listID int64) (int, error)
	CreateCampaign(ctx context.Context, nc subscribers.NewCampaign) (*subscribers.Campaign, error)
	StartCampaignRun(ctx context.Context, id int64) (int, error)
	EndCampaignRun(ctx context.Context, id int64, elapsed time.Duration, status subscribers.CampaignStatus, reason string) error
	FindListByID(ctx context.Context, id int64) (*subscribers.List, error)
	CampaignBounces(ctx context.Context, campaignID int64) (subscribers.BounceCounts, error)
	ControlStore
	LeaseStore
	TrackingStore
}

// ControlStore keeps how campaigns are driven: schedules, holds and
// operators' requests.
type ControlStore interface {
	FindCampaignControl(ctx context.Context, id int64) (subscribers.CampaignControl, error)
	ScheduleCampaign(ctx context.Context, nc subscribers.NewCampaign, at time.Time, zone string) (*subscribers.Campaign, error)
	EnqueueScheduled(ctx context.Context, id int64) (int, error)
	SetCampaignRequest(ctx context.Context, id int64, r subscribers.CampaignRequest) error
	HoldCampaign(ctx context.Context, id int64, hold subscribers.CampaignHold, reason string) error
	ResumeCampaign(ctx context.Context, id int64, background bool) error
	CancelCampaign(ctx context.Context, id int64) (int, error)
	FindRunnable(ctx context.Context, now time.Time) ([]int64, error)
}

// LeaseStore keeps the leases that let one process at a time run a
// campaign.
type LeaseStore interface {
	FindLease(ctx context.Context, name string) (*subscribers.Lease, error)
	AcquireLease(ctx context.Context, name string, owner subscribers.LeaseOwner, stale func(subscribers.Lease) bool) (*subscribers.Lease, error)
	RenewLease(ctx context.Context, name string, owner subscribers.LeaseOwner, note string) error
	ReleaseLease(ctx context.Context, name string, owner subscribers.LeaseOwner) error
}

// Sender sends a campaign's owed deliveries; *mailer.Sender is one.
type Sender interface {
	Run(ctx context.Context, c mailer.Campaign, progress func(mailer.Progress)) (*mailer.RunResult, error)
}

// Config is what a Service needs besides its store.
type Config struct {
	// Sender runs the deliveries. Runs of one Service are not concurrent
	// with each other unless the Sender allows it (*mailer.Sender does not
	// promise it).
	Sender Sender
	// Owner is this process, as its leases name it.
	Owner subscribers.LeaseOwner
	// Heartbeat is how often a running campaign's lease is renewed (and
	// operators' requests read). Default 2s.
	Heartbeat time.Duration
	// StaleAfter is how old a heartbeat may be before its lease is taken
	// over. Default 30s. A lease of a process on this machine that is gone
	// is taken over at once.
	StaleAfter time.Duration
	// Guardrails pause a campaign whose bounces or complaints show a list
	// that hurts the sender's reputation.
	Guardrails Guardrails
	// Tracking is the configuration's engagement tracking.
	Tracking Tracking
	Logger   *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Service creates, starts, resumes and reports campaigns. It is safe for
// concurrent use as far as its Store and Sender are.
type Service struct {
	cfg   Config
	store Store
}

// New returns a Service over store.
func New(cfg Config, store Store) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 2 * time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: store}
}
