package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestMaintainedCountsFollowEveryChange drives every path that changes a
// status or a membership and checks after each step that the counts kept by
// triggers equal a recount.
func TestMaintainedCountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	check := func(step string) {
		t.Helper()
		if err := s.CheckCounts(ctx); err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
	}
	check("open")
	mustImport(t, s, "mailchimp.csv", subscribers.ImportConfig{})
	check("import")
	mustImport(t, s, "plain.csv", subscribers.ImportConfig{List: "friends"})
	check("second import")
	res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "ada@example.com", Lists: []string{"clients", "friends"}})
	if err != nil {
		t.Fatal(err)
	}
	check("add")
	ada := res.Subscriber.ID
	clients, _ := s.FindListByName(ctx, "clients")
	if err := s.Unsubscribe(ctx, ada, clients.ID, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	check("unsubscribe from a list")
	if err := s.Resubscribe(ctx, ada, clients.ID, "test"); err != nil {
		t.Fatal(err)
	}
	check("resubscribe")
	if err := s.Suppress(ctx, ada, subscribers.StatusBounced, 0, "test", "550"); err != nil {
		t.Fatal(err)
	}
	check("bounce")
	if _, err := s.BlocklistAll(ctx, []string{"ada@example.com", "new@example.com", "mc.one@example.com"}, "test", "spam trap"); err != nil {
		t.Fatal(err)
	}
	check("blocklist")
	if err := s.Unsubscribe(ctx, res.Subscriber.ID, 0, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	check("unsubscribe from everything")
	if err := s.RemoveSubscriber(ctx, "ada@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	check("remove")
	if _, err := s.CreateList(ctx, subscribers.NewList{Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	check("create list")

	counts, err := s.FindStatusCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.FindCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Total() != all.Subscribers || counts[subscribers.StatusActive] != all.Active || counts[subscribers.StatusBlocklisted] != 2 {
		t.Errorf("status counts %v; want total %d, active %d and 2 blocklisted", counts, all.Subscribers, all.Active)
	}
}

func TestSearchSubscribers(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	for i := range 7 {
		name := fmt.Sprintf("Ada Lovelace %d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("Grace Hopper %d", i)
		}
		lists := []string{"clients"}
		if i >= 5 {
			lists = []string{"friends"}
		}
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("User%d@Example.com", i), Name: name, Lists: lists}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Blocklist(ctx, "user3@example.com", "test", ""); err != nil {
		t.Fatal(err)
	}
	friends, _ := s.FindListByName(ctx, "friends")

	emails := func(p *subscribers.SubscriberPage) string {
		var out []string
		for _, sub := range p.Subscribers {
			out = append(out, sub.Email)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name  string
		q     subscribers.SubscriberQuery
		pages []string // expected pages, in order
		total int
	}{
		{"everyone newest first", subscribers.SubscriberQuery{Limit: 3},
			[]string{"User6@Example.com User5@Example.com User4@Example.com", "User3@Example.com User2@Example.com User1@Example.com", "User0@Example.com"}, 7},
		{"address prefix, any case", subscribers.SubscriberQuery{Search: "USER1@", Limit: 3}, []string{"User1@Example.com"}, -1},
		{"name prefix, any case", subscribers.SubscriberQuery{Search: "grace", Limit: 2},
			[]string{"User1@Example.com User3@Example.com", "User5@Example.com"}, -1},
		{"name or address", subscribers.SubscriberQuery{Search: "user", Limit: 10},
			[]string{"User0@Example.com User1@Example.com User2@Example.com User3@Example.com User4@Example.com User5@Example.com User6@Example.com"}, -1},
		{"list", subscribers.SubscriberQuery{ListID: friends.ID}, []string{"User6@Example.com User5@Example.com"}, 2},
		{"status", subscribers.SubscriberQuery{Status: subscribers.StatusBlocklisted}, []string{"User3@Example.com"}, 1},
		{"search with list and status", subscribers.SubscriberQuery{Search: "grace", ListID: friends.ID, Status: subscribers.StatusActive},
			[]string{"User5@Example.com"}, -1},
		{"nothing", subscribers.SubscriberQuery{Search: "zed"}, []string{""}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			for i, want := range tc.pages {
				p, err := s.SearchSubscribers(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := emails(p); got != want {
					t.Errorf("page %d = %q; want %q", i+1, got, want)
				}
				if i == 0 && p.Total != tc.total {
					t.Errorf("total = %d; want %d", p.Total, tc.total)
				}
				if last := i == len(tc.pages)-1; last != (p.Next == "") {
					t.Fatalf("page %d: next cursor %q on the last page = %v", i+1, p.Next, last)
				}
				q.After = p.Next
			}
		})
	}
	if _, err := s.SearchSubscribers(ctx, subscribers.SubscriberQuery{Search: "a", After: "garbage!"}); err == nil {
		t.Error("a forged cursor was accepted")
	}
}

func TestFindSuppressed(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	for _, e := range []string{"ada@example.com", "bob@example.com", "carl@example.com"} {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
	bob := mustFind(t, s, "bob@example.com")
	if err := s.Suppress(ctx, bob.ID, subscribers.StatusBounced, 0, "bounce", "550 no such user"); err != nil {
		t.Fatal(err)
	}
	res, err := s.BlocklistAll(ctx, []string{"ada@example.com", "trap@example.com", "trap@example.com"}, "console:admin@firm.example", "spam trap")
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocklisted != 2 || res.Already != 1 {
		t.Errorf("BlocklistAll = %+v; want 2 blocklisted, 1 already", res)
	}
	if err := s.RemoveSubscriber(ctx, "carl@example.com", "admin"); err != nil {
		t.Fatal(err)
	}

	p, err := s.FindSuppressed(ctx, subscribers.SuppressedQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Addresses {
		got = append(got, fmt.Sprintf("%s %s %q %s", a.Email, a.Status, a.Reason, a.Actor))
	}
	want := []string{
		`ada@example.com blocklisted "spam trap" console:admin@firm.example`,
		`bob@example.com bounced "550 no such user" bounce`,
		`trap@example.com blocklisted "" console:admin@firm.example`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("suppressed =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p, err = s.FindSuppressed(ctx, subscribers.SuppressedQuery{Search: "BO", Status: subscribers.StatusBounced})
	if err != nil || len(p.Addresses) != 1 || p.Addresses[0].Email != "bob@example.com" {
		t.Errorf("search bounced BO = %+v, %v", p, err)
	}
	p, err = s.FindSuppressed(ctx, subscribers.SuppressedQuery{Search: "Carl@example.com"})
	if err != nil || len(p.Addresses) != 1 || !p.Addresses[0].Removed || p.Addresses[0].Since.IsZero() {
		t.Errorf("search a removed address = %+v, %v; want it found as removed", p, err)
	}
}

func TestReadAddressList(t *testing.T) {
	in := "\ufeffemail,name\nada@example.com,Ada\n\"Bob\" <bob@example.com>; ada@EXAMPLE.com\nnot@an-address\n  \ncarl@example.com\tdan@example.com\n"
	got, invalid, err := subscribers.ReadAddressList(strings.NewReader(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "ada@example.com bob@example.com carl@example.com dan@example.com" {
		t.Errorf("addresses = %q", got)
	}
	if len(invalid) != 1 || invalid[0].Line != 4 || invalid[0].Value != "not@an-address" {
		t.Errorf("invalid = %+v; want not@an-address on line 4", invalid)
	}
	if _, _, err := subscribers.ReadAddressList(strings.NewReader(in), 2); err == nil || !strings.Contains(err.Error(), "more than 2") {
		t.Errorf("over the cap: %v", err)
	}
}

// TestSearchMergesAddressAndNameMatches pages one row at a time through
// matches of both kinds: each subscriber comes once, in the order of the
// text that matched.
func TestSearchMergesAddressAndNameMatches(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	for _, in := range []subscribers.AddInput{
		{Email: "ada@example.com", Name: "Ada Lovelace"}, // matches twice
		{Email: "bob@example.com", Name: "Adam Smith"},
		{Email: "adele@example.com", Name: ""},
		{Email: "zed@example.com", Name: "ADA king"},
	} {
		if _, err := s.AddSubscriber(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	q := subscribers.SubscriberQuery{Search: "ada", Limit: 1}
	for range 10 {
		p, err := s.SearchSubscribers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range p.Subscribers {
			got = append(got, sub.Email)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	// Keys: "ada king" (zed), "ada lovelace"/"ada@example.com" (ada), "adam smith" (bob).
	want := "zed@example.com ada@example.com bob@example.com"
	if strings.Join(got, " ") != want {
		t.Errorf("pages = %q; want %q", strings.Join(got, " "), want)
	}
}
