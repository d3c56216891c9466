package subscribers

import (
	"errors"
	"fmt"
	"time"
)

// LeaseOwner is a process that may hold a lease.
type LeaseOwner struct {
	Host    string
	PID     int
	Process string    // the command: "send" or "serve"
	Started time.Time // when the process started: a reused pid is another process
}

// Same reports whether o and p are the same process.
func (o LeaseOwner) Same(p LeaseOwner) bool {
	return o.Host == p.Host && o.PID == p.PID && o.Started.Equal(p.Started)
}

// Lease is the claim of one process to run something: a campaign
// ("campaign/ID") or the campaign runner ("runner").
type Lease struct {
	Name        string
	Owner       LeaseOwner
	AcquiredAt  time.Time
	HeartbeatAt time.Time
	Note        string // what the holder waits for, if anything
}

// CampaignLease names the lease of a campaign.
func CampaignLease(id int64) string { return fmt.Sprintf("campaign/%d", id) }

// RunnerLease names the lease of the campaign runner of `dispatch serve`.
const RunnerLease = "runner"

// ErrLeaseLost is returned when renewing or releasing a lease that another
// process has taken over.
var ErrLeaseLost = errors.New("lease lost to another process")

// LeaseHeldError is returned when acquiring a lease another live process
// holds.
type LeaseHeldError struct{ Lease Lease }

func (e *LeaseHeldError) Error() string {
	o := e.Lease.Owner
	return fmt.Sprintf("%s is held by `%s` (pid %d on %s) since %s", e.Lease.Name, o.Process, o.PID, o.Host,
		e.Lease.AcquiredAt.Local().Format(time.DateTime))
}

// CampaignHold says why a paused campaign waits for an explicit resume.
type CampaignHold string

const (
	HoldNone      CampaignHold = ""          // sending again resumes it
	HoldSchedule  CampaignHold = "schedule"  // scheduled, not started yet
	HoldOperator  CampaignHold = "operator"  // paused by `dispatch campaigns pause`
	HoldGuardrail CampaignHold = "guardrail" // paused by a reputation guardrail
)

// CampaignRequest is what an operator asked of the process running a
// campaign.
type CampaignRequest string

const (
	RequestNone   CampaignRequest = ""
	RequestPause  CampaignRequest = "pause"
	RequestCancel CampaignRequest = "cancel"
)

// CampaignControl is how a campaign is driven, beside its deliveries.
type CampaignControl struct {
	CampaignID   int64
	ScheduledAt  time.Time // zero when not scheduled
	ScheduleZone string    // the zone the time was given in, for showing it
	Hold         CampaignHold
	Request      CampaignRequest
	CancelledAt  time.Time
	Background   bool // run by the runner of `dispatch serve`
}
