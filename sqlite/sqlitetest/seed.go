package sqlitetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Seeded is what Seed created.
type Seeded struct {
	List        *subscribers.List
	Subscribers []*subscribers.Subscriber // in the order added
	Campaign    *subscribers.Campaign     // nil unless SeedConfig.Campaign
}

// SeedConfig describes a list of generated subscribers.
type SeedConfig struct {
	List string // default "news"
	N    int    // subscribers user0@example.com ... user{N-1}@example.com
	// Attributes are given to every subscriber.
	Attributes map[string]any
	// Campaign, if set, is created for the list once everyone is added, so
	// that every subscriber has a queued delivery.
	Campaign *subscribers.NewCampaign
}

// Seed adds cfg.N subscribers named "User i" to a list and, if asked, a
// campaign to that list.
func Seed(tb testing.TB, s *sqlite.Store, cfg SeedConfig) Seeded {
	tb.Helper()
	ctx := context.Background()
	if cfg.List == "" {
		cfg.List = "news"
	}
	var out Seeded
	for i := range cfg.N {
		res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("user%d@example.com", i),
			Name: fmt.Sprintf("User %d", i), Lists: []string{cfg.List}, Attributes: cfg.Attributes})
		if err != nil {
			tb.Fatal(err)
		}
		out.Subscribers = append(out.Subscribers, res.Subscriber)
	}
	l, err := s.FindListByName(ctx, cfg.List)
	if err != nil {
		l, err = s.CreateList(ctx, subscribers.NewList{Name: cfg.List})
	}
	if err != nil {
		tb.Fatal(err)
	}
	out.List = l
	if cfg.Campaign != nil {
		nc := *cfg.Campaign
		nc.ListID = l.ID
		if nc.Snapshot == nil {
			nc.Snapshot = []byte("{}")
		}
		c, err := s.CreateCampaign(ctx, nc)
		if err != nil {
			tb.Fatal(err)
		}
		out.Campaign = c
	}
	return out
}

// Begin moves deliveries to sending, as a worker does just before it
// transmits (subscribers.OpBegin). A test that then starts a new run sees
// what a run killed mid-send left behind.
func Begin(tb testing.TB, s *sqlite.Store, listID int64, ds ...subscribers.Delivery) {
	tb.Helper()
	ops := make([]subscribers.LedgerOp, len(ds))
	for i, d := range ds {
		ops[i] = subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: listID,
			Attempts: d.Attempts, At: s.Now()}
	}
	res, err := s.ApplyLedger(context.Background(), ops)
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range res {
		if r != nil {
			tb.Fatalf("begin delivery %d: %v", ds[i].ID, r)
		}
	}
}
