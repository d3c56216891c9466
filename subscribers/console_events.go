package subscribers

import "fmt"

// List event types, recorded with the acting user.
const (
	EventListCreated = "list_created"
	EventListRenamed = "list_renamed"
	EventListUpdated = "list_updated"
	EventListDeleted = "list_deleted"
)

// ErrActiveSend is returned when a list cannot be deleted because a
// campaign to it is still sending or paused.
var ErrActiveSend = fmt.Errorf("a campaign to this list is still sending or paused: %w", ErrInvalid)

// ErrHasCampaigns is returned when a list cannot be deleted because
// finished campaigns were sent to it: their reports name the list.
var ErrHasCampaigns = fmt.Errorf("campaigns were sent to this list and their reports need it: %w", ErrInvalid)
