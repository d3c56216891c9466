package sqlitetest

import (
	"context"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Delivery is a row of a campaign's ledger as a test needs it, including
// the relay that carried it, which subscribers.Delivery does not hold.
type Delivery struct {
	ID           int64
	SubscriberID int64
	Status       subscribers.DeliveryStatus
	Attempts     int
	Relay        string
}

// Deliveries returns every delivery of a campaign in id order.
func Deliveries(tb testing.TB, s *sqlite.Store, campaignID int64) []Delivery {
	tb.Helper()
	db := conn(tb, s.Path(), live)
	defer db.Close()
	rows, err := db.QueryContext(context.Background(),
		`SELECT id, subscriber_id, status, attempts, relay FROM deliveries WHERE campaign_id = ? ORDER BY id`, campaignID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.SubscriberID, &d.Status, &d.Attempts, &d.Relay); err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Bounce is a row of the bounces table.
type Bounce struct {
	Kind       subscribers.BounceKind
	CampaignID int64 // 0 if none
	DeliveryID int64 // 0 if none
	Source     string
	Key        string // the report's key (Bounce.Key); "" if none
}

// Bounces returns the bounces recorded for a subscriber, oldest first;
// subscriberID 0 returns every bounce.
func Bounces(tb testing.TB, s *sqlite.Store, subscriberID int64) []Bounce {
	tb.Helper()
	db := conn(tb, s.Path(), live)
	defer db.Close()
	rows, err := db.QueryContext(context.Background(),
		`SELECT kind, COALESCE(campaign_id, 0), COALESCE(delivery_id, 0), source, COALESCE(source_key, '')
		FROM bounces WHERE ? = 0 OR subscriber_id = ? ORDER BY id`, subscriberID, subscriberID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []Bounce
	for rows.Next() {
		var b Bounce
		if err := rows.Scan(&b.Kind, &b.CampaignID, &b.DeliveryID, &b.Source, &b.Key); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// CountSubscriptions counts a list's subscriptions in a status.
func CountSubscriptions(tb testing.TB, s *sqlite.Store, listID int64, status subscribers.SubscriptionStatus) int {
	tb.Helper()
	db := conn(tb, s.Path(), live)
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(),
		`SELECT count(*) FROM subscriptions WHERE list_id = ? AND status = ?`, listID, status).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
