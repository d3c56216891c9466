package sqlite_test

import (
	"context"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestCountAttributesCountsWhoWouldBeMailed(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	add := func(email string, attrs map[string]any, lists ...string) *subscribers.Subscriber {
		t.Helper()
		res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: email, Attributes: attrs, Lists: lists, Source: "test", Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Subscriber
	}
	add("a@example.com", map[string]any{"company": "Acme", "tier": 3.0, "vip": true}, "clients")
	add("b@example.com", map[string]any{"company": "", "tier": 0.0, "vip": false}, "clients") // "" is missing; 0 and false print
	add("c@example.com", map[string]any{"company": nil, "role": "CISO"}, "clients")           // null is missing
	add("d@example.com", nil, "clients")
	left := add("e@example.com", map[string]any{"company": "Gone Ltd"}, "clients")
	if err := s.Unsubscribe(ctx, left.ID, 0, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	add("f@example.com", map[string]any{"company": "Other list"}, "staff")
	blocked := add("g@example.com", map[string]any{"company": "Blocked"}, "clients")
	if _, err := s.Blocklist(ctx, blocked.Email, "admin", "test"); err != nil {
		t.Fatal(err)
	}

	l, err := s.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.CountAttributes(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"company": 1, "tier": 2, "vip": 2, "role": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CountAttributes mismatch (-want +got):\n%s", diff)
	}
	if n, _ := s.CountActiveMembers(ctx, l.ID); n != 4 {
		t.Errorf("CountActiveMembers = %d; want 4, the same people CountAttributes looked at", n)
	}
}

// BenchmarkCountAttributes scans the attributes of a list of benchRows
// imported subscribers (company and city are attributes):
//
//	go test ./sqlite -run '^$' -bench CountAttributes -rows 100000
func BenchmarkCountAttributes(b *testing.B) {
	s, err := sqlite.Open(context.Background(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := csvimport.Import(ctx, s, "synthetic.csv", synthetic.CSV(benchRows), subscribers.ImportConfig{List: "bench"}); err != nil {
		b.Fatal(err)
	}
	l, err := s.FindListByName(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := s.CountAttributes(ctx, l.ID)
		if err != nil || got["company"] != benchRows {
			b.Fatalf("CountAttributes = %v, %v; want company on all %d", got, err, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "subscribers/s")
}
