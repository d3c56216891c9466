package sqlite

import "github.com/dispatchhq/dispatch/subscribers"

// The statuses and kinds that queries name, as SQL string literals built
// from the domain's constants, so that a query cannot drift from them.
// They are constants: a query built with them is still one constant
// string, the same text SQLite plans (and matches to partial indexes) as
// before. TestStatusesInSQL keeps quoted literals out of the queries, and
// TestStatusesMatchMigrations keeps the constants to what the migrations'
// CHECK constraints allow.
const (
	// subscribers.status (and suppressions.status)
	sqlActive             = `'` + string(subscribers.StatusActive) + `'`
	sqlStatusUnsubscribed = `'` + string(subscribers.StatusUnsubscribed) + `'`

	// subscriptions.status
	sqlSubscribed   = `'` + string(subscribers.Subscribed) + `'`
	sqlUnsubscribed = `'` + string(subscribers.Unsubscribed) + `'`
	sqlUnconfirmed  = `'` + string(subscribers.Unconfirmed) + `'`

	// deliveries.status
	sqlQueued   = `'` + string(subscribers.DeliveryQueued) + `'`
	sqlSending  = `'` + string(subscribers.DeliverySending) + `'`
	sqlSent     = `'` + string(subscribers.DeliverySent) + `'`
	sqlDeferred = `'` + string(subscribers.DeliveryDeferred) + `'`
	sqlFailed   = `'` + string(subscribers.DeliveryFailed) + `'`
	sqlSkipped  = `'` + string(subscribers.DeliverySkipped) + `'`

	// campaigns.status and campaigns.hold
	sqlCampaignSending  = `'` + string(subscribers.CampaignSending) + `'`
	sqlCampaignPaused   = `'` + string(subscribers.CampaignPaused) + `'`
	sqlCampaignFinished = `'` + string(subscribers.CampaignFinished) + `'`
	sqlHoldSchedule     = `'` + string(subscribers.HoldSchedule) + `'`

	// imports.status
	sqlImportRunning     = `'` + string(subscribers.ImportRunning) + `'`
	sqlImportInterrupted = `'` + string(subscribers.ImportInterrupted) + `'`

	// events.type
	sqlEventCreated      = `'` + subscribers.EventCreated + `'`
	sqlEventUnsubscribed = `'` + subscribers.EventUnsubscribed + `'`
)
