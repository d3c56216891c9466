package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestRecordBounce(t *testing.T) {
	ctx := context.Background()
	policy := subscribers.BouncePolicy{SoftLimit: 3, SoftWindow: 30 * 24 * time.Hour}
	tests := []struct {
		name    string
		bounces []subscribers.Bounce
		want    subscribers.Status
	}{
		{"hard suppresses at once", []subscribers.Bounce{{Kind: subscribers.BounceHard, Status: "5.1.1", Key: "a"}}, subscribers.StatusBounced},
		{"complaint suppresses at once", []subscribers.Bounce{{Kind: subscribers.BounceComplaint, Key: "a"}}, subscribers.StatusComplained},
		{"two soft bounces do not", []subscribers.Bounce{{Kind: subscribers.BounceSoft, Key: "a"}, {Kind: subscribers.BounceSoft, Key: "b"}}, subscribers.StatusActive},
		{"three soft bounces do", []subscribers.Bounce{{Kind: subscribers.BounceSoft, Key: "a"}, {Kind: subscribers.BounceSoft, Key: "b"}, {Kind: subscribers.BounceSoft, Key: "c"}}, subscribers.StatusBounced},
		{"the same report thrice counts once", []subscribers.Bounce{{Kind: subscribers.BounceSoft, Key: "a"}, {Kind: subscribers.BounceSoft, Key: "a"}, {Kind: subscribers.BounceSoft, Key: "a"}}, subscribers.StatusActive},
		{"a complaint is not downgraded by a bounce", []subscribers.Bounce{{Kind: subscribers.BounceComplaint, Key: "a"}, {Kind: subscribers.BounceHard, Key: "b"}}, subscribers.StatusComplained},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t)
			added, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "b@example.com", Lists: []string{"l"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.bounces {
				// Tied to a delivery: the policy alone decides.
				b.SubscriberID, b.Email, b.Source, b.CampaignID = added.Subscriber.ID, "B@example.com", "test", 9
				if _, err := s.RecordBounce(ctx, b, policy); err != nil {
					t.Fatal(err)
				}
			}
			if sub := mustFind(t, s, "b@example.com"); sub.Status != tc.want {
				t.Errorf("status = %s; want %s", sub.Status, tc.want)
			}
		})
	}
}

func TestSoftBouncesOutsideWindowDoNotCount(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	added, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "w@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range []string{"1", "2", "3"} {
		now = now.Add(time.Duration(i) * 20 * 24 * time.Hour)
		res, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: added.Subscriber.ID, Kind: subscribers.BounceSoft, Source: "t", Key: key},
			subscribers.BouncePolicy{SoftLimit: 3, SoftWindow: 30 * 24 * time.Hour})
		if err != nil || res.Suppressed != "" {
			t.Fatalf("bounce %d: %+v %v; want no suppression (spread over 60 days)", i, res, err)
		}
	}
	res, err := s.RecordBounce(ctx, subscribers.Bounce{Email: "nobody@example.com", Kind: subscribers.BounceHard, Source: "t", Key: "x"}, subscribers.BouncePolicy{})
	if err != nil || !res.Unknown {
		t.Errorf("unknown address: %+v %v", res, err)
	}
	c, err := s.CampaignBounces(ctx, 0)
	if err != nil || c.Hard != 0 {
		t.Errorf("counts %+v %v", c, err)
	}
}
