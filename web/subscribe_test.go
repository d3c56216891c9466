package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// The page after a POST is byte for byte the same whether the address is
// new, subscribed, unconfirmed, unsubscribed or suppressed; only the
// mailbox's owner can tell, from the mail.
func TestSubscribeAnswersTheSameForEveryAddress(t *testing.T) {
	for _, optin := range []subscribers.OptIn{subscribers.OptInDouble, subscribers.OptInSingle} {
		t.Run(string(optin), func(t *testing.T) {
			f := newFormEnv(t, func(c *web.Config) { c.Subscribe.RatePerSecond = -1 })
			ctx := context.Background()
			l := f.list("news", optin)
			f.addSubscriber("subscribed@example.com", "news")
			left := f.addSubscriber("left@example.com", "news")
			if err := f.store.Unsubscribe(ctx, left.ID, 0, 0, "subscriber", "link"); err != nil {
				t.Fatal(err)
			}
			for _, st := range []subscribers.Status{subscribers.StatusBounced, subscribers.StatusComplained, subscribers.StatusBlocklisted} {
				sub := f.addSubscriber(string(st)+"@example.com", "news")
				if err := f.store.Suppress(ctx, sub.ID, st, 0, "test", ""); err != nil {
					t.Fatal(err)
				}
			}
			if optin == subscribers.OptInDouble {
				f.subscribe("news", "unconfirmed@example.com", "192.0.2.1")
				f.mailsUntil("unconfirmed@example.com")
			}
			addrs := []string{"new@example.com", "subscribed@example.com", "left@example.com",
				"bounced@example.com", "complained@example.com", "blocklisted@example.com"}
			if optin == subscribers.OptInDouble {
				addrs = append(addrs, "unconfirmed@example.com")
			}
			var first *http.Response
			var firstBody string
			for i, a := range addrs {
				resp, body := f.subscribe("news", a, "192.0.2.1")
				checkPrivate(t, resp, body, a)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d\n%s", a, resp.StatusCode, body)
				}
				if i == 0 {
					first, firstBody = resp, body
					continue
				}
				sameResponse(t, addrs[0]+" vs "+a, first, resp, firstBody, body)
			}
			got := map[string]int{}
			for _, m := range f.barrier("news") {
				got[m.To]++
				if m.Kind != web.MailConfirm || m.ListID != l.ID || m.ListName != "News Weekly" ||
					!strings.HasPrefix(m.URL, "http://news.example.test/subscribe/confirm/") {
					t.Errorf("mail %+v; want a confirmation of News Weekly with a link under the base URL", m)
				}
			}
			want := map[string]int{"left@example.com": 1}
			if optin == subscribers.OptInDouble {
				want["new@example.com"] = 1
				want["unconfirmed@example.com"] = 1
			}
			if len(got) != len(want) {
				t.Errorf("mailed %v; want %v (no mail to the subscribed or the suppressed)", got, want)
			}
			for a, n := range want {
				if got[a] != n {
					t.Errorf("mailed %s %d times; want %d (all mail: %v)", a, got[a], n, got)
				}
			}
			for _, st := range []subscribers.Status{subscribers.StatusBounced, subscribers.StatusComplained, subscribers.StatusBlocklisted} {
				if s := f.subscriptionOf(string(st)+"@example.com", l.ID); s.Status != subscribers.Subscribed || !s.RequestedAt.IsZero() {
					t.Errorf("%s: the form touched the suppressed address: %+v", st, s)
				}
			}
			if s := f.subscriptionOf("left@example.com", l.ID); s.Status != subscribers.Unsubscribed {
				t.Errorf("left@: %s; a form alone must not undo an unsubscribe", s.Status)
			}
			wantNew := subscribers.Unconfirmed
			if optin == subscribers.OptInSingle {
				wantNew = subscribers.Subscribed
			}
			if s := f.subscriptionOf("new@example.com", l.ID); s.Status != wantNew || s.Source != "form:/subscribe/news" || s.Basis != subscribers.BasisConsent {
				t.Errorf("new@: %+v; want %s from the form on consent", s, wantNew)
			}
		})
	}
}

func TestSubscribeRateLimits(t *testing.T) {
	t.Run("per client", func(t *testing.T) {
		f := newFormEnv(t, func(c *web.Config) { c.Subscribe.RatePerSecond, c.Subscribe.RateBurst = 0.001, 3 })
		f.list("news", "")
		for i := range 3 {
			if resp, body := f.subscribe("news", "p"+string(rune('a'+i))+"@example.com", "203.0.113.9"); resp.StatusCode != http.StatusOK {
				t.Fatalf("POST %d: %d\n%s", i, resp.StatusCode, body)
			}
		}
		resp, _ := f.subscribe("news", "pz@example.com", "203.0.113.9")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("4th POST from one client: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if resp, _ := f.subscribe("news", "pz@example.com", "203.0.113.10"); resp.StatusCode != http.StatusOK {
			t.Fatalf("another client: %d; want 200", resp.StatusCode)
		}
	})
	t.Run("per address", func(t *testing.T) {
		f := newFormEnv(t, func(c *web.Config) {
			c.Subscribe.AddressRatePerSecond, c.Subscribe.AddressRateBurst = 0.001, 2
			c.Subscribe.MailAddressBurst = 10
		})
		f.list("news", "")
		for i := range 2 {
			if resp, _ := f.subscribe("news", "Target@example.com", "203.0.113."+string(rune('1'+i))); resp.StatusCode != http.StatusOK {
				t.Fatalf("POST %d: %d", i, resp.StatusCode)
			}
		}
		if resp, _ := f.subscribe("news", "target@EXAMPLE.com", "203.0.113.50"); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("3rd POST for one address from a new client: %d; want 429", resp.StatusCode)
		}
	})
	t.Run("confirmation mails per address", func(t *testing.T) {
		f := newFormEnv(t, func(c *web.Config) { c.Subscribe.MailAddressPerSecond, c.Subscribe.MailAddressBurst = 0.0001, 2 })
		f.list("news", "")
		var first *http.Response
		var firstBody string
		for i := range 4 {
			resp, body := f.subscribe("news", "victim@example.com", "203.0.113."+string(rune('1'+i)))
			if i == 0 {
				first, firstBody = resp, body
			} else {
				sameResponse(t, "mail-limited POST", first, resp, firstBody, body)
			}
		}
		if n := len(f.barrier("news")); n != 2 {
			t.Fatalf("%d confirmation mails to one address from 4 clients; want 2", n)
		}
	})
	t.Run("confirmation mails per client", func(t *testing.T) {
		f := newFormEnv(t, func(c *web.Config) { c.Subscribe.MailRatePerSecond, c.Subscribe.MailRateBurst = 0.0001, 2 })
		f.list("news", "")
		for i := range 4 {
			if resp, _ := f.subscribe("news", "m"+string(rune('a'+i))+"@example.com", "203.0.113.7"); resp.StatusCode != http.StatusOK {
				t.Fatalf("POST %d: %d", i, resp.StatusCode)
			}
		}
		if n := len(f.barrier("news")); n != 2 {
			t.Fatalf("%d confirmation mails from one client; want 2", n)
		}
	})
}

// Bots fill in every field and post at once; they get the same page as
// people, and nothing happens.
func TestSubscribeIgnoresBots(t *testing.T) {
	f := newFormEnv(t, nil)
	l := f.list("news", "")
	f.list("other", "")
	_, want := f.subscribe("news", "person@example.com", "192.0.2.1")
	stamp := f.stamp("news")
	f.clock.Add(5 * time.Second)
	otherStamp := f.stamp("other")
	f.clock.Add(5 * time.Second)
	cases := []struct {
		name string
		v    url.Values
		wait time.Duration
	}{
		{"honeypot", url.Values{"email": {"bot1@example.com"}, "stamp": {stamp}, "website": {"http://spam.example"}}, 0},
		{"too fast", url.Values{"email": {"bot2@example.com"}, "stamp": {f.stamp("news")}}, 0},
		{"no stamp", url.Values{"email": {"bot3@example.com"}}, 0},
		{"forged stamp", url.Values{"email": {"bot4@example.com"}, "stamp": {stamp[:len(stamp)-2] + "aa"}}, 0},
		{"another list's stamp", url.Values{"email": {"bot5@example.com"}, "stamp": {otherStamp}}, 0},
	}
	for i, c := range cases {
		resp, body := f.postAs("news", "192.0.2."+string(rune('2'+i)), c.v)
		if resp.StatusCode != http.StatusOK || body != want {
			t.Errorf("%s: %d; want the same 200 page as a person gets", c.name, resp.StatusCode)
		}
		if _, err := f.store.FindSubscriberByEmail(context.Background(), c.v.Get("email")); err == nil {
			t.Errorf("%s: a subscriber was made", c.name)
		}
	}
	got := f.barrier("news")
	if len(got) != 1 || got[0].To != "person@example.com" {
		t.Fatalf("mails %+v; want only the person's", got)
	}
	_ = l
}

func TestSubscribeFormPages(t *testing.T) {
	f := newFormEnv(t, nil)
	f.list("news", "")
	if _, err := f.store.CreateList(t.Context(), subscribers.NewList{Name: "private"}); err != nil {
		t.Fatal(err)
	}
	resp, body := f.get(f.ts.URL + "/subscribe/news")
	for _, want := range []string{`action="/subscribe/news"`, `name="email"`, `name="website"`, "Yes, send me News Weekly.", "<title>Subscribe to News Weekly"} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET form: %d", resp.StatusCode)
	}
	unknownResp, unknown := f.get(f.ts.URL + "/subscribe/nope")
	privResp, priv := f.get(f.ts.URL + "/subscribe/private")
	if unknownResp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown list: %d; want 404", unknownResp.StatusCode)
	}
	sameResponse(t, "private vs unknown list", unknownResp, privResp, unknown, priv)
	if r, _ := f.subscribe("news", "x@example.com", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("post: %d", r.StatusCode)
	}
	if r, _ := f.postAs("private", "", url.Values{"email": {"x@example.com"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("POST to a private list: %d; want 404", r.StatusCode)
	}
	// A typo comes back with the form, the error and what was typed.
	stamp := f.stamp("news")
	f.clock.Add(5 * time.Second)
	resp, body = f.postAs("news", "", url.Values{"email": {"not-an-address"}, "stamp": {stamp}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="not-an-address"`) {
		t.Errorf("bad address: %d; want 400 with the form, an alert and the value\n%s", resp.StatusCode, body)
	}
}

func TestSubscribeFormsOffWithoutMail(t *testing.T) {
	e := newEnv(t, nil)
	e.addSubscriber("a@example.com", "news")
	if resp, _ := e.get(e.ts.URL + "/subscribe/news"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("form without a mail queue: %d; want 404", resp.StatusCode)
	}
}
