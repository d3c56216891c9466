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
	Logger *slog.Logger
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
	return &Service{cfg: cfg, store: store}
}
