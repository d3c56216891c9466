package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestOpenIsRepeatableAndSetsPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	ctx := context.Background()
	for range 2 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		var fk, timeout int
		sqlite.DB(s).QueryRow(`PRAGMA journal_mode`).Scan(&mode)
		sqlite.DB(s).QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
		sqlite.DB(s).QueryRow(`PRAGMA busy_timeout`).Scan(&timeout)
		if mode != "wal" || fk != 1 || timeout < 1000 {
			t.Errorf("journal_mode=%s foreign_keys=%d busy_timeout=%d; want wal, 1, >=1000", mode, fk, timeout)
		}
		var n int
		sqlite.DB(s).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		if n == 0 {
			t.Error("no migrations recorded")
		}
		s.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sqlite.DB(s).Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future.sql', 'x')`)
	s.Close()
	if _, err := sqlite.Open(ctx, path); err == nil {
		t.Fatal("opened a database with an unknown migration")
	}
}

func TestEmailIsUniqueCaseInsensitively(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	r1, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "Mixed.Case@Example.com", Name: "M", Lists: []string{"a"}})
	if err != nil || !r1.Created {
		t.Fatal(r1, err)
	}
	r2, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "mixed.case@EXAMPLE.COM", Name: "Other", Lists: []string{"b"}})
	if err != nil || r2.Created || r2.Subscriber.ID != r1.Subscriber.ID {
		t.Fatalf("second add: %+v, %v; want the same subscriber", r2, err)
	}
	sub := mustFind(t, s, "MIXED.case@example.com")
	if sub.Email != "Mixed.Case@Example.com" || sub.Name != "M" || len(sub.Lists) != 2 {
		t.Errorf("got %q %q lists %d; want stored as first given, name kept, 2 lists", sub.Email, sub.Name, len(sub.Lists))
	}
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "Bob <bob@example.com>"}); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("display-name add: %v; want ErrInvalid", err)
	}
}

func TestEventsRecordEveryStatusChange(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	r, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "e@example.com", Lists: []string{"news"}, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Subscriber.ID
	if err := s.Unsubscribe(ctx, id, 0, 7, "subscriber", "one-click"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, id, 0, 7, "subscriber", "one-click"); err != nil {
		t.Fatal(err) // idempotent
	}
	if err := s.Resubscribe(ctx, id, 0, "subscriber"); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, id, subscribers.StatusComplained, 7, "fbl", "abuse report"); err != nil {
		t.Fatal(err)
	}
	// A weaker status never overwrites a stronger one.
	if err := s.Suppress(ctx, id, subscribers.StatusBounced, 0, "smtp", "550"); err != nil {
		t.Fatal(err)
	}
	if err := s.Resubscribe(ctx, id, 0, "subscriber"); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Errorf("resubscribe after complaint: %v; want ErrSuppressed", err)
	}
	evs, err := s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Type+":"+e.NewStatus)
	}
	want := []string{"created:active", "subscribed:", "unsubscribed:", "status_changed:unsubscribed", "resubscribed:active", "complained:complained"}
	if len(got) != len(want) {
		t.Fatalf("events = %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %s; want %s", i, got[i], want[i])
		}
	}
	if evs[2].CampaignID != 7 || evs[2].Actor != "subscriber" {
		t.Errorf("unsubscribe event = %+v; want campaign 7 by subscriber", evs[2])
	}
	if sub := mustFind(t, s, "e@example.com"); sub.Status != subscribers.StatusComplained {
		t.Errorf("status = %s; want complained", sub.Status)
	}
	if _, err := sqlite.DB(s).Exec(`DELETE FROM events`); err == nil {
		t.Error("events could be deleted")
	}
	if _, err := sqlite.DB(s).Exec(`UPDATE events SET type = 'x'`); err == nil {
		t.Error("events could be rewritten")
	}
}

func TestRemoveKeepsOnlySuppression(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	r, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "gone@example.com", Name: "Gone", Lists: []string{"news"},
		Attributes: map[string]any{"phone": "123"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSubscriber(ctx, "GONE@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	var n int
	sqlite.DB(s).QueryRow(`SELECT count(*) FROM subscribers`).Scan(&n)
	if n != 0 {
		t.Errorf("%d subscriber rows remain", n)
	}
	sqlite.DB(s).QueryRow(`SELECT count(*) FROM subscriptions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d subscriptions remain", n)
	}
	var leaks int
	sqlite.DB(s).QueryRow(`SELECT count(*) FROM events WHERE reason LIKE '%gone%' OR actor LIKE '%gone%'`).Scan(&leaks)
	if leaks != 0 {
		t.Errorf("%d events still mention the address", leaks)
	}
	evs, _ := s.Events(ctx, r.Subscriber.ID)
	if len(evs) == 0 || evs[len(evs)-1].Type != subscribers.EventRemoved {
		t.Errorf("events after removal = %+v; want a removed event last", evs)
	}
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "gone@example.com"}); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Errorf("re-add removed: %v; want ErrSuppressed", err)
	}
	if err := s.RemoveSubscriber(ctx, "nobody@example.com", "admin"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("remove unknown: %v; want ErrNotFound", err)
	}
}

func TestBlocklistUnknownAddressPreventsImport(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Blocklist(ctx, "Trap@example.com", "admin", "spam trap"); err != nil {
		t.Fatal(err)
	}
	if sub := mustFind(t, s, "trap@example.com"); sub.Status != subscribers.StatusBlocklisted {
		t.Errorf("status = %s", sub.Status)
	}
}

func TestFindSubscribersFilters(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"one"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "d@example.com", Lists: []string{"two"}}); err != nil {
		t.Fatal(err)
	}
	b := mustFind(t, s, "b@example.com")
	s.Suppress(ctx, b.ID, subscribers.StatusBounced, 0, "t", "")
	count := func(f subscribers.SubscriberFilter) int {
		n := 0
		if err := s.FindSubscribers(ctx, f, func(*subscribers.Subscriber) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(subscribers.SubscriberFilter{}); got != 4 {
		t.Errorf("all = %d", got)
	}
	if got := count(subscribers.SubscriberFilter{List: "one"}); got != 3 {
		t.Errorf("list one = %d", got)
	}
	if got := count(subscribers.SubscriberFilter{List: "one", Status: subscribers.StatusActive}); got != 2 {
		t.Errorf("list one active = %d", got)
	}
	if err := s.FindSubscribers(ctx, subscribers.SubscriberFilter{List: "nope"}, func(*subscribers.Subscriber) error { return nil }); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("unknown list: %v", err)
	}
	lists, _ := s.FindLists(ctx)
	if len(lists) != 2 || lists[0].Name != "one" || lists[0].Subscribed != 3 || lists[0].Active != 2 {
		t.Errorf("lists = %+v", lists)
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"a@example.com", true},
		{"first.last+tag@sub.example.co.uk", true},
		{"o'brien@example.ie", true},
		{"用户@例子.中国", true},
		{"a@b", false},
		{"a@b.", false},
		{"@example.com", false},
		{"a@@example.com", false},
		{"A <a@example.com>", false},
		{"<a@example.com>", false},
		{"a b@example.com", false},
		{"a@[127.0.0.1]", false},
		{"a@-bad.com", false},
		{"a@exa_mple.com", false},
		{"a..b@example.com", false},
		{"", false},
	}
	for _, tc := range tests {
		err := subscribers.ValidateEmail(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateEmail(%q) = %v; want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// TestUnsubscribeGroupCommit: concurrent unsubscribes share transactions,
// yet each caller gets its own answer: a subscriber that does not exist
// fails alone, and every call that returned nil is committed.
func TestUnsubscribeGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	const n = 200
	ids := make([]int64, n)
	for i := range n {
		res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("r%03d@example.com", i), Lists: []string{"news"}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.Subscriber.ID
	}
	l, err := s.FindListByName(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := int64(999_999) // the extra call names nobody
			if i < n {
				id = ids[i]
			}
			errs[i] = s.Unsubscribe(ctx, id, l.ID, 0, "subscriber", "one-click")
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Unsubscribe(r%03d) = %v", i, errs[i])
		}
	}
	if !errors.Is(errs[n], subscribers.ErrNotFound) {
		t.Errorf("Unsubscribe(missing) = %v; want ErrNotFound", errs[n])
	}
	var count int
	if err := sqlite.DB(s).QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE list_id = ? AND status = 'unsubscribed'`, l.ID).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("%d unsubscribed; want %d", count, n)
	}

	// After Close, an unsubscribe is refused rather than lost or hung.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, ids[0], l.ID, 0, "subscriber", "one-click"); err == nil {
		t.Error("Unsubscribe after Close succeeded")
	}
}
