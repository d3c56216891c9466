package subscribers

import (
	"context"
	"time"
)

// The services below are what the rest of Dispatch may ask of the store,
// grouped by what they do. The SQLite store (package sqlite) implements
// them all. A package that needs only a few methods declares its own small
// interface (mailer.Store, web.Store, apply.Store, imports.Store) and embeds a service
// here where it needs the whole of one.

// SubscriberService finds people and changes their status and consent.
// Suppression is one-way for every method but Resubscribe (see the package
// documentation).
type SubscriberService interface {
	AddSubscriber(ctx context.Context, in AddInput) (*AddResult, error)
	FindSubscriberByID(ctx context.Context, id int64) (*Subscriber, error)
	FindSubscriberByEmail(ctx context.Context, email string) (*Subscriber, error)
	// FindSubscribers calls fn for every matching subscriber in id order.
	FindSubscribers(ctx context.Context, f SubscriberFilter, fn func(*Subscriber) error) error
	// SearchSubscribers returns one page of subscribers, as the console
	// lists them.
	SearchSubscribers(ctx context.Context, q SubscriberQuery) (*SubscriberPage, error)
	FindStatusCounts(ctx context.Context) (StatusCounts, error)
	FindSuppressed(ctx context.Context, q SuppressedQuery) (*SuppressedPage, error)
	UpdateSubscriber(ctx context.Context, id int64, upd SubscriberUpdate, actor string) (*Subscriber, error)
	// Events returns a subscriber's history, oldest first.
	Events(ctx context.Context, subscriberID int64) ([]Event, error)
	Blocklist(ctx context.Context, email, actor, reason string) (*Subscriber, error)
	BlocklistAll(ctx context.Context, emails []string, actor, reason string) (*BlocklistResult, error)
	Suppress(ctx context.Context, subscriberID int64, to Status, campaignID int64, actor, reason string) error
	// RemoveSubscriber erases a person's data and keeps only a hash of the
	// address, so that they stay suppressed.
	RemoveSubscriber(ctx context.Context, email, actor string) error
	Unsubscribe(ctx context.Context, subscriberID, listID, campaignID int64, actor, reason string) error
	Resubscribe(ctx context.Context, subscriberID, listID int64, actor string) error
}

// ListService keeps the lists and counts their audiences.
type ListService interface {
	CreateList(ctx context.Context, nl NewList) (*List, error)
	FindListByID(ctx context.Context, id int64) (*List, error)
	FindListByName(ctx context.Context, name string) (*List, error)
	FindLists(ctx context.Context) ([]List, error)
	UpdateList(ctx context.Context, name string, upd ListUpdate) (*List, error)
	RenameList(ctx context.Context, oldName, newName string) (*List, error)
	// CountActiveMembers counts the members a campaign to the list would
	// mail now.
	CountActiveMembers(ctx context.Context, listID int64) (int, error)
	// CountAttributes counts, per attribute name, those members who have a
	// non-empty value for it.
	CountAttributes(ctx context.Context, listID int64) (map[string]int, error)
}

// CampaignService creates campaigns, records their runs and reports on
// them.
type CampaignService interface {
	// CreateCampaign creates a campaign and fixes its recipients: one
	// queued delivery per active member of the list.
	CreateCampaign(ctx context.Context, nc NewCampaign) (*Campaign, error)
	FindCampaignByID(ctx context.Context, id int64) (*Campaign, error)
	// FindLatestCampaign returns the newest campaign of an issue to a list.
	FindLatestCampaign(ctx context.Context, slug string, listID int64) (*Campaign, error)
	FindCampaigns(ctx context.Context) ([]Campaign, error)
	FindCampaignStats(ctx context.Context, id int64) (CampaignStats, error)
	CampaignBounces(ctx context.Context, campaignID int64) (BounceCounts, error)
	// StartCampaignRun prepares a (re)run: deliveries a dead run left
	// sending are queued again as possible duplicates; it returns how many.
	StartCampaignRun(ctx context.Context, id int64) (int, error)
	EndCampaignRun(ctx context.Context, id int64, elapsed time.Duration, status CampaignStatus, reason string) error
	FindFailedDeliveries(ctx context.Context, campaignID int64) ([]FailedDelivery, error)
	// RetryFailed queues again the deliveries that failed for temporary
	// reasons.
	RetryFailed(ctx context.Context, campaignID int64) (RetryResult, error)
}

// DeliveryLedger is what sending a campaign reads and writes: the owed
// deliveries, and their state changes applied in groups.
type DeliveryLedger interface {
	NextQueued(ctx context.Context, campaignID, after int64, limit int) ([]Delivery, error)
	DueDeferred(ctx context.Context, campaignID int64, now time.Time, limit int) ([]Delivery, error)
	// NextRetry returns when the earliest deferred delivery is due, and
	// how many are deferred.
	NextRetry(ctx context.Context, campaignID int64) (due time.Time, deferred int, err error)
	// ApplyLedger applies ops in one transaction and returns one error
	// slot per op (nil, ErrNotSendable or ErrStale).
	ApplyLedger(ctx context.Context, ops []LedgerOp) ([]error, error)
	// ApplyLedgerBuffered is ApplyLedger for a sender's commit loop: the
	// deliveries are as durable, and the campaigns' counts may follow up
	// to a quarter of a second later; FlushLedgerCounts writes them at
	// once.
	ApplyLedgerBuffered(ctx context.Context, ops []LedgerOp) ([]error, error)
	FlushLedgerCounts(ctx context.Context) error
	// SentSince counts the messages sent since t, over all campaigns.
	SentSince(ctx context.Context, t time.Time) (int, error)
}

// ImportService imports contacts and keeps the history of imports.
type ImportService interface {
	// ImportRows adds or updates everyone in a contact file, as read by
	// package csvimport (whose Import is the whole import).
	ImportRows(ctx context.Context, rows ContactRows, cfg ImportConfig) (*ImportResult, error)
	CreateImportRecord(ctx context.Context, r ImportRecord) (int64, error)
	FinishImportRecord(ctx context.Context, id int64, status ImportStatus, res *ImportResult, errText string) error
	// InterruptRunningImports marks imports a dead process left running as
	// interrupted.
	InterruptRunningImports(ctx context.Context) (int, error)
	FindImportRecords(ctx context.Context, limit int) ([]ImportRecord, error)
	FindImportRecord(ctx context.Context, id int64) (*ImportRecord, error)
	FindImportInvalidRows(ctx context.Context, id int64, fn func(InvalidRow) error) error
}

// BounceService records bounces and complaints and, for reports tied to no
// delivery, keeps them for review.
type BounceService interface {
	RecordBounce(ctx context.Context, b Bounce, p BouncePolicy) (BounceResult, error)
	RecordUnattributed(ctx context.Context, r UnattributedReport) (duplicate bool, err error)
	UnattributedReports(ctx context.Context, since time.Time, limit int) ([]UnattributedReport, error)
	// Unsuppress makes active again the subscribers a campaign's bounces
	// suppressed by mistake.
	Unsuppress(ctx context.Context, campaignID int64, actor, reason string, dryRun bool) ([]Unsuppressed, error)
}

// ArchiveService reads the sent issues of a list for its web archive.
type ArchiveService interface {
	// FindArchive returns one page of a list's sent issues, newest first.
	FindArchive(ctx context.Context, listID int64, offset, limit int) (*ArchivePage, error)
	// FindArchivedIssue returns the newest sent campaign of an issue to a
	// list.
	FindArchivedIssue(ctx context.Context, listID int64, slug string) (*ArchivedIssue, error)
}

// FormService keeps what the subscribe forms ask for: requests waiting for
// confirmation, their confirmation with its consent record, and purging
// the stale ones.
type FormService interface {
	RequestSubscription(ctx context.Context, req FormRequest) (*FormResult, error)
	ConfirmSubscription(ctx context.Context, c Confirmation) (ConfirmResult, error)
	PurgeUnconfirmed(ctx context.Context, before time.Time, actor string) (PurgeResult, error)
}
