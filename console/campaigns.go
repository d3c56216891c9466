package console

import (
	"context"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Campaigns drives campaigns through the send use case (package campaign,
// adapted by internal/consolecampaigns), so that pausing, resuming and
// cancelling from the console follow the same rules, leases and holds as
// `dispatch campaigns pause|resume|cancel`. The console keeps no rule of
// its own about when a campaign may change.
type Campaigns interface {
	// Live returns a campaign with its counts and who sends it now, or
	// subscribers.ErrNotFound.
	Live(ctx context.Context, id int64) (*CampaignLive, error)
	// Pause, Resume and Cancel act on a campaign, or refuse with a
	// *RefusedError.
	Pause(ctx context.Context, id int64) (ControlResult, error)
	Resume(ctx context.Context, id int64) (ControlResult, error)
	Cancel(ctx context.Context, id int64) (ControlResult, error)
}

// Campaign states, as campaign.State names them.
const (
	StateScheduled   = "scheduled"
	StateRunning     = "running"
	StateInterrupted = "interrupted"
	StatePaused      = "paused"
	StateFinished    = "finished"
	StateCancelled   = "cancelled"
)

// CampaignLive is a campaign as it stands now.
type CampaignLive struct {
	Campaign *subscribers.Campaign
	Stats    subscribers.CampaignStats
	Control  subscribers.CampaignControl
	// State is one of the State constants.
	State string
	// Runner is the process sending the campaign now; nil when none does.
	Runner *subscribers.Lease
	// WaitReason is the kind of wait the run is in ("rate limit",
	// "quota", "retry backoff", "relay down"; "" when it sends freely),
	// Waiting the run's own words about it.
	WaitReason string
	Waiting    string
	// RunnerUp reports whether the campaign runner of `dispatch serve`
	// is live (it sends resumed and scheduled campaigns).
	RunnerUp bool
}

// ControlResult is what a pause, resume or cancel did.
type ControlResult struct {
	// Asked reports that the request was passed to the process running
	// the campaign, which acts at its next heartbeat.
	Asked bool
	// Already reports that the campaign already was as asked.
	Already bool
	// RunnerUp reports, after a resume, that the campaign runner of
	// `dispatch serve` is live and will send the campaign.
	RunnerUp bool
	// Skipped counts the deliveries a cancel skipped.
	Skipped int
}

// RefusedError is a pause, resume or cancel the campaign's state does not
// allow (finished, or scheduled and not started); Reason says why.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// campaignsPoll is how often the campaign page's progress refreshes
// while the campaign runs.
const campaignsPoll = 2 * time.Second
