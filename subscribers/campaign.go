package subscribers

import "time"

// CampaignStatus is where a campaign stands.
type CampaignStatus string

const (
	CampaignSending  CampaignStatus = "sending"  // running, or interrupted: run send again to resume
	CampaignPaused   CampaignStatus = "paused"   // stopped by Dispatch after repeated sender-side refusals
	CampaignFinished CampaignStatus = "finished" // every delivery is sent, failed or skipped
)

// Campaign is one issue sent to one list.
type Campaign struct {
	ID                 int64
	Slug               string
	ListID             int64
	ListName           string
	Subject            string
	IssuePath          string
	Snapshot           []byte
	Status             CampaignStatus
	PauseReason        string
	Recipients         int
	PossibleDuplicates int
	SendSeconds        float64
	CreatedAt          time.Time
	StartedAt          time.Time
	FinishedAt         time.Time
}

// NewCampaign describes a campaign to create.
type NewCampaign struct {
	Slug      string
	ListID    int64
	Subject   string
	IssuePath string
	Snapshot  []byte
}

// CampaignStats counts a campaign's deliveries by state and what happened
// to its recipients since.
type CampaignStats struct {
	Recipients         int
	Queued             int
	Sending            int
	Sent               int
	Deferred           int
	Failed             int
	Skipped            int
	HardBounces        int
	SoftBounces        int
	Complaints         int
	Unsubscribed       int // unsubscribes attributed to this campaign
	PossibleDuplicates int
	FirstSentAt        time.Time // the first delivery; zero before it
	LastSentAt         time.Time
}

// Done reports whether nothing is left to send.
func (st CampaignStats) Done() bool { return st.Queued+st.Sending+st.Deferred == 0 }
