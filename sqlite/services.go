package sqlite

import "github.com/dispatchhq/dispatch/subscribers"

// The store implements every service of the domain.
var (
	_ subscribers.SubscriberService = (*Store)(nil)
	_ subscribers.ListService       = (*Store)(nil)
	_ subscribers.CampaignService   = (*Store)(nil)
	_ subscribers.DeliveryLedger    = (*Store)(nil)
	_ subscribers.ImportService     = (*Store)(nil)
	_ subscribers.BounceService     = (*Store)(nil)
	_ subscribers.IssueService      = (*Store)(nil)
	_ subscribers.ArchiveService    = (*Store)(nil)
	_ subscribers.FormService       = (*Store)(nil)
)
