package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

func formList(t *testing.T, s *sqlite.Store, name string, optin subscribers.OptIn) *subscribers.List {
	t.Helper()
	l, err := s.CreateList(context.Background(), subscribers.NewList{Name: name, OptIn: optin})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func request(t *testing.T, s *sqlite.Store, email string, l *subscribers.List) *subscribers.FormResult {
	t.Helper()
	res, err := s.RequestSubscription(context.Background(), subscribers.FormRequest{Email: email, Name: "Form Name", ListID: l.ID,
		Source: "form:/subscribe/" + l.Name, ConsentText: "I want " + l.Name, Single: l.OptIn == subscribers.OptInSingle,
		IP: "192.0.2.0", UserAgent: "UA/1"})
	if err != nil {
		t.Fatalf("request %s: %v", email, err)
	}
	return res
}

func subscriptionOf(t *testing.T, s *sqlite.Store, email string, listID int64) subscribers.Subscription {
	t.Helper()
	for _, l := range mustFind(t, s, email).Lists {
		if l.ListID == listID {
			return l
		}
	}
	t.Fatalf("%s has no subscription to list %d", email, listID)
	return subscribers.Subscription{}
}

// recipients is how many deliveries a campaign to l would have now.
func recipients(t *testing.T, s *sqlite.Store, l *subscribers.List) int {
	t.Helper()
	ctx := context.Background()
	n, err := s.CountActiveMembers(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "c" + time.Now().Format("150405.000000000"), ListID: l.ID,
		Subject: "S", IssuePath: "s.md", Snapshot: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Recipients != n || len(sqlitetest.Deliveries(t, s, c.ID)) != n {
		t.Fatalf("campaign has %d recipients (%d deliveries); CountActiveMembers says %d", c.Recipients, len(sqlitetest.Deliveries(t, s, c.ID)), n)
	}
	ls, err := s.FindLists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ls {
		if x.ID == l.ID && x.Active != n {
			t.Fatalf("list counts say %d active; campaign found %d", x.Active, n)
		}
	}
	return n
}

func TestUnconfirmedIsNeverMailedUntilConfirmed(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l := formList(t, s, "news", "")
	if l.OptIn != subscribers.OptInDouble {
		t.Fatalf("new list opt-in %q; want double", l.OptIn)
	}
	res := request(t, s, "New@Example.com", l)
	if res.Outcome != subscribers.FormPending || !res.Created {
		t.Fatalf("new address: %+v; want pending and created", res)
	}
	sub := subscriptionOf(t, s, "new@example.com", l.ID)
	if sub.Status != subscribers.Unconfirmed || sub.RequestedAt.IsZero() {
		t.Fatalf("subscription %+v; want unconfirmed with a request time", sub)
	}
	if n := recipients(t, s, l); n != 0 {
		t.Fatalf("an unconfirmed subscription got %d deliveries; want 0", n)
	}
	// Asking again keeps it unconfirmed.
	if res := request(t, s, "new@example.com", l); res.Outcome != subscribers.FormPending || res.Created {
		t.Fatalf("second request: %+v; want pending, not created", res)
	}

	out, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: res.SubscriberID, ListID: l.ID, IP: "192.0.2.0", UserAgent: "UA/1"})
	if err != nil || out.Resubscribed || out.Already {
		t.Fatalf("confirm: %+v, %v", out, err)
	}
	sub = subscriptionOf(t, s, "new@example.com", l.ID)
	want := subscribers.Subscription{Status: subscribers.Subscribed, Basis: subscribers.BasisConsent, Source: "form:/subscribe/news",
		ConsentText: "I want news", ConsentIP: "192.0.2.0", ConsentAgent: "UA/1"}
	if sub.Status != want.Status || sub.Basis != want.Basis || sub.Source != want.Source || sub.ConsentText != want.ConsentText ||
		sub.ConsentIP != want.ConsentIP || sub.ConsentAgent != want.ConsentAgent || sub.ConsentedAt.IsZero() || !sub.RequestedAt.IsZero() {
		t.Fatalf("confirmed subscription %+v; want %+v with a consent time and no request", sub, want)
	}
	if n := recipients(t, s, l); n != 1 {
		t.Fatalf("after confirming, %d recipients; want 1", n)
	}
	if got := mustFind(t, s, "new@example.com").Name; got != "Form Name" {
		t.Fatalf("name %q; want the form's", got)
	}
	// The link opened again: nothing to do, not an error.
	if out, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: res.SubscriberID, ListID: l.ID}); err != nil || !out.Already {
		t.Fatalf("second confirm: %+v, %v; want already", out, err)
	}
	if res := request(t, s, "new@example.com", l); res.Outcome != subscribers.FormAlready {
		t.Fatalf("request when subscribed: %+v; want already", res)
	}
}

func TestSingleOptIn(t *testing.T) {
	s := mustOpen(t)
	l := formList(t, s, "quick", subscribers.OptInSingle)
	res := request(t, s, "q@example.com", l)
	if res.Outcome != subscribers.FormSubscribed {
		t.Fatalf("single opt-in: %+v; want subscribed", res)
	}
	sub := subscriptionOf(t, s, "q@example.com", l.ID)
	if sub.Status != subscribers.Subscribed || sub.ConsentIP != "192.0.2.0" || sub.ConsentText != "I want quick" {
		t.Fatalf("subscription %+v; want subscribed with the POST's consent record", sub)
	}
	if n := recipients(t, s, l); n != 1 {
		t.Fatalf("%d recipients; want 1", n)
	}
}

func TestFormSuppressedAddressesChangeNothing(t *testing.T) {
	ctx := context.Background()
	for _, st := range []subscribers.Status{subscribers.StatusBounced, subscribers.StatusComplained, subscribers.StatusBlocklisted} {
		t.Run(string(st), func(t *testing.T) {
			s := mustOpen(t)
			l := formList(t, s, "news", subscribers.OptInSingle)
			added, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "x@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Suppress(ctx, added.Subscriber.ID, st, 0, "test", ""); err != nil {
				t.Fatal(err)
			}
			before := len(mustEvents(t, s, added.Subscriber.ID))
			if res := request(t, s, "x@example.com", l); res.Outcome != subscribers.FormSuppressed {
				t.Fatalf("%s: %+v; want suppressed", st, res)
			}
			sub := mustFind(t, s, "x@example.com")
			if sub.Status != st || len(sub.Lists) != 0 || len(mustEvents(t, s, sub.ID)) != before {
				t.Fatalf("%s: the request changed something: %+v", st, sub)
			}
		})
	}
	t.Run("removed while bounced", func(t *testing.T) {
		s := mustOpen(t)
		l := formList(t, s, "news", "")
		added, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "gone@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, added.Subscriber.ID, subscribers.StatusBounced, 0, "test", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveSubscriber(ctx, "gone@example.com", "test"); err != nil {
			t.Fatal(err)
		}
		if res := request(t, s, "gone@example.com", l); res.Outcome != subscribers.FormSuppressed {
			t.Fatalf("%+v; want suppressed", res)
		}
		if _, err := s.FindSubscriberByEmail(ctx, "gone@example.com"); !errors.Is(err, subscribers.ErrNotFound) {
			t.Fatalf("the request made a subscriber: %v", err)
		}
	})
	t.Run("blocklisted after asking", func(t *testing.T) {
		s := mustOpen(t)
		l := formList(t, s, "news", "")
		res := request(t, s, "late@example.com", l)
		if _, err := s.Blocklist(ctx, "late@example.com", "admin", ""); err != nil {
			t.Fatal(err)
		}
		_, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: res.SubscriberID, ListID: l.ID})
		if !errors.Is(err, subscribers.ErrSuppressed) {
			t.Fatalf("confirm: %v; want ErrSuppressed", err)
		}
		if n := recipients(t, s, l); n != 0 {
			t.Fatalf("%d recipients; want 0", n)
		}
	})
}

func mustEvents(t *testing.T, s *sqlite.Store, id int64) []subscribers.Event {
	t.Helper()
	ev, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// A confirmed form is the person's own re-subscription: the only path
// besides the resubscribe button that lifts their unsubscribe. Until they
// confirm, the unsubscribe stands, even on a single opt-in list.
func TestFormResubscribesOnlyOnConfirmation(t *testing.T) {
	ctx := context.Background()
	for _, optin := range []subscribers.OptIn{subscribers.OptInDouble, subscribers.OptInSingle} {
		t.Run(string(optin), func(t *testing.T) {
			s := mustOpen(t)
			l := formList(t, s, "news", optin)
			added, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "back@example.com", Lists: []string{"news"}})
			if err != nil {
				t.Fatal(err)
			}
			id := added.Subscriber.ID
			if err := s.Unsubscribe(ctx, id, 0, 0, "subscriber", "link"); err != nil {
				t.Fatal(err)
			}
			res := request(t, s, "back@example.com", l)
			if res.Outcome != subscribers.FormPending {
				t.Fatalf("%+v; want pending", res)
			}
			if sub := mustFind(t, s, "back@example.com"); sub.Status != subscribers.StatusUnsubscribed || sub.Lists[0].Status != subscribers.Unsubscribed {
				t.Fatalf("the request alone changed the unsubscribe: %+v", sub)
			}
			if n := recipients(t, s, l); n != 0 {
				t.Fatalf("%d recipients before confirming; want 0", n)
			}
			out, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: id, ListID: l.ID, IP: "198.51.100.0", UserAgent: "UA"})
			if err != nil || !out.Resubscribed {
				t.Fatalf("confirm: %+v, %v; want resubscribed", out, err)
			}
			sub := mustFind(t, s, "back@example.com")
			if sub.Status != subscribers.StatusActive || sub.Lists[0].Status != subscribers.Subscribed || sub.Lists[0].ConsentIP != "198.51.100.0" {
				t.Fatalf("after confirming: %+v", sub)
			}
			var resub, confirmed int
			for _, e := range mustEvents(t, s, id) {
				switch e.Type {
				case subscribers.EventResubscribed:
					resub++
					if e.Actor != "subscriber" || !strings.Contains(e.Reason, "form:/subscribe/news") {
						t.Errorf("resubscribed event %+v; want by the subscriber through the form", e)
					}
				case subscribers.EventConfirmed:
					confirmed++
				}
			}
			if resub != 1 || confirmed != 1 {
				t.Fatalf("%d resubscribed and %d confirmed events; want 1 each", resub, confirmed)
			}
			if n := recipients(t, s, l); n != 1 {
				t.Fatalf("%d recipients after confirming; want 1", n)
			}
		})
	}
}

func TestUnsubscribeCancelsAPendingRequest(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l := formList(t, s, "news", "")
	res := request(t, s, "no@example.com", l)
	if err := s.Unsubscribe(ctx, res.SubscriberID, l.ID, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	_, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: res.SubscriberID, ListID: l.ID})
	if !errors.Is(err, subscribers.ErrNotFound) {
		t.Fatalf("confirm after unsubscribing: %v; want ErrNotFound", err)
	}
}

func TestSelfErasedPersonMayComeBackThroughTheForm(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l := formList(t, s, "news", subscribers.OptInSingle)
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "me@example.com", Lists: []string{"news"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSubscriber(ctx, "me@example.com", "subscriber"); err != nil {
		t.Fatal(err)
	}
	res := request(t, s, "me@example.com", l)
	if res.Outcome != subscribers.FormPending {
		t.Fatalf("%+v; want pending even on a single opt-in list", res)
	}
	// An admin cannot add them back meanwhile.
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "me@example.com"}); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Fatalf("admin add while the erasure stands: %v; want ErrSuppressed", err)
	}
	out, err := s.ConfirmSubscription(ctx, subscribers.Confirmation{SubscriberID: res.SubscriberID, ListID: l.ID})
	if err != nil || !out.Resubscribed {
		t.Fatalf("confirm: %+v, %v", out, err)
	}
	if n := recipients(t, s, l); n != 1 {
		t.Fatalf("%d recipients; want 1", n)
	}
}

func TestPurgeUnconfirmed(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	news := formList(t, s, "news", "")
	other := formList(t, s, "other", "")
	stale := request(t, s, "stale@example.com", news)
	both := request(t, s, "both@example.com", news)
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "both@example.com", Lists: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	left, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "left@example.com", Lists: []string{"news"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, left.Subscriber.ID, news.ID, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	request(t, s, "left@example.com", news)
	cut := s.Now().Add(time.Second) // every request so far is older
	fresh := request(t, s, "fresh@example.com", other)
	s.Now = func() time.Time { return cut.Add(time.Hour) }
	request(t, s, "fresh@example.com", other)

	got, err := s.PurgeUnconfirmed(ctx, cut, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if want := (subscribers.PurgeResult{Subscriptions: 2, Subscribers: 1, Requests: 1}); got != want {
		t.Fatalf("purge: %+v; want %+v", got, want)
	}
	if _, err := s.FindSubscriberByID(ctx, stale.SubscriberID); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("the stale request's subscriber is still there: %v", err)
	}
	if sub := mustFind(t, s, "both@example.com"); len(sub.Lists) != 1 || sub.Lists[0].ListID != other.ID || sub.ID != both.SubscriberID {
		t.Errorf("both@: %+v; want only the other list, kept", sub.Lists)
	}
	if sub := subscriptionOf(t, s, "left@example.com", news.ID); sub.Status != subscribers.Unsubscribed || !sub.RequestedAt.IsZero() {
		t.Errorf("left@: %+v; want still unsubscribed with no request", sub)
	}
	if sub := subscriptionOf(t, s, "fresh@example.com", other.ID); sub.Status != subscribers.Unconfirmed {
		t.Errorf("fresh@: %+v; want still unconfirmed", sub)
	}
	if _, err := s.FindSubscriberByID(ctx, fresh.SubscriberID); err != nil {
		t.Errorf("fresh@ was purged: %v", err)
	}
	// Rerunning finds nothing more.
	if again, err := s.PurgeUnconfirmed(ctx, cut, "admin"); err != nil || again != (subscribers.PurgeResult{}) {
		t.Fatalf("second purge: %+v, %v; want nothing", again, err)
	}
}

func TestBasisIsRecorded(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	mustImport(t, s, "google.csv", subscribers.ImportConfig{List: "clients", Basis: subscribers.BasisContract})
	mustImport(t, s, "google.csv", subscribers.ImportConfig{List: "default"})
	var n int
	err := s.FindSubscribers(ctx, subscribers.SubscriberFilter{}, func(sub *subscribers.Subscriber) error {
		for _, l := range sub.Lists {
			n++
			want := subscribers.BasisContract
			if l.List == "default" {
				want = subscribers.DefaultImportBasis
			}
			if l.Basis != want {
				t.Errorf("%s on %s: basis %q; want %q", sub.Email, l.List, l.Basis, want)
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("%d subscriptions, %v", n, err)
	}
	// An admin adding someone with a pending form request subscribes them
	// on the admin's basis.
	l := formList(t, s, "news", "")
	request(t, s, "pending@example.com", l)
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "pending@example.com", Lists: []string{"news"}, Basis: subscribers.BasisLegitimateInterest}); err != nil {
		t.Fatal(err)
	}
	if sub := subscriptionOf(t, s, "pending@example.com", l.ID); sub.Status != subscribers.Subscribed || sub.Basis != subscribers.BasisLegitimateInterest || !sub.RequestedAt.IsZero() {
		t.Fatalf("%+v; want subscribed on legitimate interest", sub)
	}
}

// An import that names someone whose form request waits subscribes them on
// the import's basis, as an admin's add does.
func TestImportSubscribesAPendingRequest(t *testing.T) {
	s := mustOpen(t)
	l := formList(t, s, "clients", "")
	request(t, s, "dorothy@example.com", l)
	request(t, s, "not.in.the.file@example.com", l)
	mustImport(t, s, "google.csv", subscribers.ImportConfig{List: "clients", Basis: subscribers.BasisContract})
	if sub := subscriptionOf(t, s, "dorothy@example.com", l.ID); sub.Status != subscribers.Subscribed || sub.Basis != subscribers.BasisContract || !sub.RequestedAt.IsZero() {
		t.Fatalf("dorothy@: %+v; want subscribed on contract, the request dropped", sub)
	}
	if sub := subscriptionOf(t, s, "not.in.the.file@example.com", l.ID); sub.Status != subscribers.Unconfirmed {
		t.Fatalf("not.in.the.file@: %s; want still unconfirmed", sub.Status)
	}
}
