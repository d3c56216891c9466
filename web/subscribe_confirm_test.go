package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// confirmLink subscribes email from ip and returns the link mailed to it.
func (f *formEnv) confirmLink(list, email, ip string) string {
	f.t.Helper()
	if resp, body := f.subscribe(list, email, ip); resp.StatusCode != http.StatusOK {
		f.t.Fatalf("subscribe: %d\n%s", resp.StatusCode, body)
	}
	ms := f.mailsUntil(email)
	return strings.Replace(ms[len(ms)-1].URL, "http://news.example.test", f.ts.URL, 1)
}

func (f *formEnv) postConfirm(link, ip, origin string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(""))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (ConfirmTest)")
	req.Header.Set("X-Forwarded-For", ip)
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	return f.do(req)
}

func TestConfirmLink(t *testing.T) {
	for _, c := range []struct {
		mode   web.StoreIP
		ip     string
		wantIP string
	}{
		{"", "203.0.113.77", "203.0.113.0"},
		{web.StoreIPTruncated, "2001:db8:1234:5678::9", "2001:db8:1234::"},
		{web.StoreIPFull, "203.0.113.77", "203.0.113.77"},
		{web.StoreIPNone, "203.0.113.77", ""},
	} {
		t.Run(string(c.mode)+" "+c.ip, func(t *testing.T) {
			f := newFormEnv(t, func(cfg *web.Config) { cfg.Subscribe.StoreIP = c.mode })
			l := f.list("news", "")
			link := f.confirmLink("news", "ada@example.com", "192.0.2.5")

			// GET (and HEAD) show the button and confirm nothing: mail
			// scanners open every link.
			for range 3 {
				resp, body := f.get(link)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Confirm</button>") || !strings.Contains(body, "a•••@example.com") {
					t.Fatalf("GET link: %d; want the Confirm button for the masked address\n%s", resp.StatusCode, body)
				}
				checkPrivate(t, resp, body, "ada@example.com")
			}
			req, _ := http.NewRequest(http.MethodHead, link, nil)
			f.do(req)
			if s := f.subscriptionOf("ada@example.com", l.ID); s.Status != subscribers.Unconfirmed {
				t.Fatalf("after GETs: %s; want still unconfirmed", s.Status)
			}
			// A page elsewhere cannot press the button.
			if resp, _ := f.postConfirm(link, c.ip, "https://evil.example"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site POST: %d; want 403", resp.StatusCode)
			}
			resp, body := f.postConfirm(link, c.ip, "")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "subscribed to News Weekly") {
				t.Fatalf("POST confirm: %d\n%s", resp.StatusCode, body)
			}
			s := f.subscriptionOf("ada@example.com", l.ID)
			if s.Status != subscribers.Subscribed || s.ConsentIP != c.wantIP || s.ConsentAgent != "Mozilla/5.0 (ConfirmTest)" ||
				s.ConsentText != "Yes, send me News Weekly." || s.Source != "form:/subscribe/news" || s.Basis != subscribers.BasisConsent ||
				time.Since(s.ConsentedAt) > time.Minute {
				t.Fatalf("consent record %+v; want subscribed now from %q with the UA, wording and form", s, c.wantIP)
			}
			// Pressing it again is harmless.
			if resp, _ := f.postConfirm(link, c.ip, ""); resp.StatusCode != http.StatusOK {
				t.Fatalf("second POST: %d", resp.StatusCode)
			}
		})
	}
}

func TestConfirmLinkExpiredOrTampered(t *testing.T) {
	f := newFormEnv(t, func(c *web.Config) { c.Subscribe.ConfirmTTL = 48 * time.Hour })
	l := f.list("news", "")
	link := f.confirmLink("news", "bo@example.com", "192.0.2.5")
	i := strings.LastIndex(link, "/") + 3
	swap := "a"
	if link[i] == 'a' {
		swap = "b"
	}
	flipped := link[:i] + swap + link[i+1:]
	tokens, _ := subscribers.NewTokens("web-test-secret-0123456789")
	sub, _ := f.store.FindSubscriberByEmail(t.Context(), "bo@example.com")
	future := f.ts.URL + "/subscribe/confirm/" + tokens.Confirm(subscribers.ConfirmRef{SubscriberID: sub.ID, ListID: l.ID, Issued: f.clock.Now().Add(time.Hour)})
	other, _ := subscribers.NewTokens("another-secret-0123456789abcd")
	forged := f.ts.URL + "/subscribe/confirm/" + other.Confirm(subscribers.ConfirmRef{SubscriberID: sub.ID, ListID: l.ID, Issued: f.clock.Now()})
	unsub := f.ts.URL + "/subscribe/confirm/" + tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: sub.ID, ListID: l.ID})
	for name, u := range map[string]string{"tampered": flipped, "future": future, "other key": forged, "unsubscribe token": unsub} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var resp *http.Response
			var body string
			if method == http.MethodGet {
				resp, body = f.get(u)
			} else {
				resp, body = f.postConfirm(u, "192.0.2.5", "")
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "doesn’t work") {
				t.Errorf("%s %s: %d; want 400 and the invalid-link page", method, name, resp.StatusCode)
			}
		}
	}
	f.clock.Add(49 * time.Hour)
	if resp, _ := f.get(link); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET after the link's 48 h: %d; want 400", resp.StatusCode)
	}
	if resp, _ := f.postConfirm(link, "192.0.2.5", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST after the link's 48 h: %d; want 400", resp.StatusCode)
	}
	if s := f.subscriptionOf("bo@example.com", l.ID); s.Status != subscribers.Unconfirmed {
		t.Fatalf("after bad links: %s; want still unconfirmed", s.Status)
	}
}

// A person who unsubscribed comes back through the form only by
// confirming; a blocklisted address never, even with a valid link.
func TestConfirmResubscribesButNotTheSuppressed(t *testing.T) {
	f := newFormEnv(t, nil)
	l := f.list("news", "")
	left := f.addSubscriber("left@example.com", "news")
	if err := f.store.Unsubscribe(t.Context(), left.ID, 0, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	link := f.confirmLink("news", "left@example.com", "192.0.2.5")
	if resp, _ := f.postConfirm(link, "192.0.2.5", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if sub := f.subscriber(left.ID); sub.Status != subscribers.StatusActive || len(f.eventsOfType(left.ID, subscribers.EventResubscribed)) != 1 {
		t.Fatalf("after confirming: %s, %d resubscribed events; want active and one", sub.Status, len(f.eventsOfType(left.ID, subscribers.EventResubscribed)))
	}

	link = f.confirmLink("news", "late@example.com", "192.0.2.6")
	if _, err := f.store.Blocklist(t.Context(), "late@example.com", "admin", "abuse"); err != nil {
		t.Fatal(err)
	}
	resp, body := f.postConfirm(link, "192.0.2.6", "")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "can’t be subscribed") {
		t.Fatalf("confirming a blocklisted address: %d; want 409\n%s", resp.StatusCode, body)
	}
	if s := f.subscriptionOf("late@example.com", l.ID); s.Status == subscribers.Subscribed {
		t.Fatal("a blocklisted address was subscribed")
	}
}
