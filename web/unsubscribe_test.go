package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// TestConfirmPageChangesNothing: mail scanners prefetch links, so a GET of
// the unsubscribe link must only show the question.
func TestConfirmPageChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	sub := e.addSubscriber("alice.smith@example.com", "Weekly Digest", "Alerts")
	weekly, alerts := e.listID("Weekly Digest"), e.listID("Alerts")
	u := e.unsubscribeURL(sub.ID, weekly, 42)
	before := len(e.events(sub.ID))

	var resp *http.Response
	var body string
	for range 3 {
		resp, body = e.get(u)
	}
	head, err := http.NewRequest(http.MethodHead, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.do(head)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET status = %d; want 200\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<html lang="en">`,
		"Unsubscribe <span class=\"addr\">al•••@example.com</span> from <strong>Weekly Digest</strong>?",
		`<form method="post" action="/u/`,
		`value="all"`, // the option to leave every list
		"Security Briefing",
		`<button type="submit" class="button">Unsubscribe</button>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("confirm page lacks %q", want)
		}
	}
	checkPrivate(t, resp, body, "alice.smith@example.com", "alice.smith")

	if got := e.subscription(sub.ID, weekly); got != subscribers.Subscribed {
		t.Errorf("after GET, Weekly Digest subscription = %q; want subscribed", got)
	}
	if got := e.subscription(sub.ID, alerts); got != subscribers.Subscribed {
		t.Errorf("after GET, Alerts subscription = %q; want subscribed", got)
	}
	if got := e.subscriber(sub.ID).Status; got != subscribers.StatusActive {
		t.Errorf("after GET, status = %q; want active", got)
	}
	if after := len(e.events(sub.ID)); after != before {
		t.Errorf("GET added %d events; want none", after-before)
	}
}

// TestUnsubscribeThenResubscribe walks the human flow for one list and for
// every list, and checks each step in the store.
func TestUnsubscribeThenResubscribe(t *testing.T) {
	tests := []struct {
		name       string
		scope      string
		wantLeft   []string // lists unsubscribed after the POST
		wantKept   []string // lists still subscribed
		wantStatus subscribers.Status
		wantText   string
	}{
		{name: "one list", scope: "list", wantLeft: []string{"Weekly Digest"}, wantKept: []string{"Alerts"},
			wantStatus: subscribers.StatusActive, wantText: "has been unsubscribed from <strong>Weekly Digest</strong>."},
		{name: "every list", scope: "all", wantLeft: []string{"Weekly Digest", "Alerts"},
			wantStatus: subscribers.StatusUnsubscribed, wantText: "has been unsubscribed from every list of <strong>Security Briefing</strong>."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			sub := e.addSubscriber("bob@example.org", "Weekly Digest", "Alerts")
			weekly := e.listID("Weekly Digest")
			u := e.unsubscribeURL(sub.ID, weekly, 42)

			resp, body := e.postForm(u, "scope="+tc.scope)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST status = %d; want 200\n%s", resp.StatusCode, body)
			}
			checkPrivate(t, resp, body, "bob@example.org")
			if !strings.Contains(body, tc.wantText) {
				t.Errorf("confirmation lacks %q\n%s", tc.wantText, body)
			}
			if !strings.Contains(body, `action="/u/`) || !strings.Contains(body, `/resubscribe"`) {
				t.Errorf("confirmation has no resubscribe form")
			}
			for _, l := range tc.wantLeft {
				if got := e.subscription(sub.ID, e.listID(l)); got != subscribers.Unsubscribed {
					t.Errorf("%s subscription = %q; want unsubscribed", l, got)
				}
			}
			for _, l := range tc.wantKept {
				if got := e.subscription(sub.ID, e.listID(l)); got != subscribers.Subscribed {
					t.Errorf("%s subscription = %q; want subscribed", l, got)
				}
			}
			if got := e.subscriber(sub.ID).Status; got != tc.wantStatus {
				t.Errorf("status = %q; want %q", got, tc.wantStatus)
			}
			ev := e.eventsOfType(sub.ID, subscribers.EventUnsubscribed)
			if len(ev) != 1 {
				t.Fatalf("%d unsubscribed events; want 1", len(ev))
			}
			if ev[0].CampaignID != 42 || ev[0].Actor != "subscriber" || ev[0].Reason != "link" {
				t.Errorf("event = campaign %d, actor %q, reason %q; want 42, subscriber, link",
					ev[0].CampaignID, ev[0].Actor, ev[0].Reason)
			}

			// The link now says there is nothing left to unsubscribe.
			resp, body = e.get(u)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "is not subscribed to") {
				t.Errorf("GET after unsubscribing: status %d, want 200 and a not-subscribed page\n%s", resp.StatusCode, body)
			}

			resp, body = e.postForm(u+"/resubscribe", "scope="+tc.scope)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("resubscribe status = %d; want 200\n%s", resp.StatusCode, body)
			}
			checkPrivate(t, resp, body, "bob@example.org")
			if !strings.Contains(body, "Welcome back") {
				t.Errorf("resubscribe page lacks its title\n%s", body)
			}
			for _, l := range append(tc.wantLeft, tc.wantKept...) {
				if got := e.subscription(sub.ID, e.listID(l)); got != subscribers.Subscribed {
					t.Errorf("after resubscribing, %s subscription = %q; want subscribed", l, got)
				}
			}
			if got := e.subscriber(sub.ID).Status; got != subscribers.StatusActive {
				t.Errorf("after resubscribing, status = %q; want active", got)
			}
			if n := len(e.eventsOfType(sub.ID, subscribers.EventResubscribed)); n != 1 {
				t.Errorf("%d resubscribed events; want 1", n)
			}
		})
	}
}

// multipartOneClick builds an RFC 8058 body as multipart/form-data.
func multipartOneClick(t *testing.T) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// TestOneClick covers RFC 8058: a POST with List-Unsubscribe=One-Click, in
// either form encoding, unsubscribes from the link's list with a 200, no
// cookie and no redirect, and a repeat is a 200 that changes nothing.
func TestOneClick(t *testing.T) {
	mpType, mpBody := multipartOneClick(t)
	tests := []struct {
		name        string
		contentType string
		body        []byte
	}{
		{name: "urlencoded", contentType: "application/x-www-form-urlencoded", body: []byte("List-Unsubscribe=One-Click")},
		{name: "multipart", contentType: mpType, body: mpBody},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			sub := e.addSubscriber("carol@example.net", "Weekly Digest", "Alerts")
			weekly, alerts := e.listID("Weekly Digest"), e.listID("Alerts")
			u := e.unsubscribeURL(sub.ID, weekly, 77)

			for i := range 2 {
				resp, body := e.post(u, tc.contentType, bytes.NewReader(tc.body))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("POST %d: status = %d; want 200\n%s", i+1, resp.StatusCode, body)
				}
				checkPrivate(t, resp, body, "carol@example.net")
			}
			if got := e.subscription(sub.ID, weekly); got != subscribers.Unsubscribed {
				t.Errorf("Weekly Digest subscription = %q; want unsubscribed", got)
			}
			if got := e.subscription(sub.ID, alerts); got != subscribers.Subscribed {
				t.Errorf("Alerts subscription = %q; want subscribed (one-click leaves only the link's list)", got)
			}
			ev := e.eventsOfType(sub.ID, subscribers.EventUnsubscribed)
			if len(ev) != 1 {
				t.Fatalf("%d unsubscribed events after two POSTs; want 1", len(ev))
			}
			if ev[0].CampaignID != 77 || ev[0].ListID != weekly || ev[0].Actor != "subscriber" || ev[0].Reason != "one-click" {
				t.Errorf("event = campaign %d, list %d, actor %q, reason %q; want 77, %d, subscriber, one-click",
					ev[0].CampaignID, ev[0].ListID, ev[0].Actor, ev[0].Reason, weekly)
			}
		})
	}
}

// TestBadLinks: a malformed, tampered or foreign token gets a 4xx page that
// names nobody, whatever the method.
func TestBadLinks(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.addSubscriber("alice@example.com", "Weekly Digest")
	e.addSubscriber("bob@example.com", "Weekly Digest")
	good := e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: alice.ID, ListID: e.listID("Weekly Digest"), CampaignID: 3})
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 1 // stays in the alphabet: 0-9 and a-v flip to neighbours
	other, err := subscribers.NewTokens("another-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	foreign := other.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: alice.ID, ListID: 1})
	// A valid token of alice's with a "k" in it, spelt with U+212A KELVIN
	// SIGN, which Unicode case folding turns into "k".
	var kelvin string
	for c := int64(1); kelvin == ""; c++ {
		tok := e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: alice.ID, ListID: e.listID("Weekly Digest"), CampaignID: c})
		if strings.Contains(tok, "k") {
			kelvin = strings.Replace(tok, "k", "\u212a", 1)
		}
	}

	tests := []struct{ name, token string }{
		{name: "tampered", token: string(tampered)},
		{name: "truncated", token: good[:len(good)-3]},
		{name: "extended", token: good + "00"},
		{name: "other key", token: foreign},
		{name: "garbage", token: "not-a-token!"},
		{name: "delivery token", token: e.tokens.Delivery(alice.ID)},
		{name: "kelvin sign", token: kelvin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := web.UnsubscribeURL(e.ts.URL, tc.token)
			for _, req := range []struct {
				name string
				do   func() (*http.Response, string)
			}{
				{"GET", func() (*http.Response, string) { return e.get(u) }},
				{"one-click", func() (*http.Response, string) { return e.postForm(u, "List-Unsubscribe=One-Click") }},
				{"resubscribe", func() (*http.Response, string) { return e.postForm(u+"/resubscribe", "scope=all") }},
			} {
				resp, body := req.do()
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("%s: status = %d; want 4xx", req.name, resp.StatusCode)
				}
				if !strings.Contains(body, "This link doesn’t work") {
					t.Errorf("%s: body is not the invalid-link page\n%s", req.name, body)
				}
				checkPrivate(t, resp, body, "alice@example.com", "bob@example.com", "al•••", "bo•••", "@example.com")
			}
		})
	}
	if got := e.subscription(alice.ID, e.listID("Weekly Digest")); got != subscribers.Subscribed {
		t.Errorf("after bad links, subscription = %q; want subscribed", got)
	}
}

// TestRemovedSubscriber: a valid link whose subscriber was erased gets a
// neutral page, never a 500, and never the address.
func TestRemovedSubscriber(t *testing.T) {
	e := newEnv(t, nil)
	sub := e.addSubscriber("dave@example.com", "Weekly Digest")
	u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 5)
	if err := e.store.RemoveSubscriber(context.Background(), "dave@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	never := e.unsubscribeURL(9999, 1, 0)
	for _, u := range []string{u, never} {
		for _, req := range []struct {
			name string
			do   func() (*http.Response, string)
		}{
			{"GET", func() (*http.Response, string) { return e.get(u) }},
			{"one-click", func() (*http.Response, string) { return e.postForm(u, "List-Unsubscribe=One-Click") }},
			{"form", func() (*http.Response, string) { return e.postForm(u, "scope=all") }},
			{"resubscribe", func() (*http.Response, string) { return e.postForm(u+"/resubscribe", "scope=all") }},
		} {
			resp, body := req.do()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status = %d; want 200", req.name, resp.StatusCode)
			}
			if !strings.Contains(body, "Nothing to unsubscribe") {
				t.Errorf("%s: body is not the neutral page\n%s", req.name, body)
			}
			checkPrivate(t, resp, body, "dave@example.com", "da•••")
		}
	}
}

// TestResubscribeRefusedWhenSuppressed: the resubscribe button cannot bring
// back an address that bounced, complained or was blocklisted.
func TestResubscribeRefusedWhenSuppressed(t *testing.T) {
	tests := []struct {
		name     string
		suppress func(*env, *subscribers.Subscriber) error
		want     subscribers.Status
	}{
		{name: "bounced", want: subscribers.StatusBounced, suppress: func(e *env, s *subscribers.Subscriber) error {
			_, err := e.store.RecordBounce(context.Background(),
				subscribers.Bounce{SubscriberID: s.ID, Kind: subscribers.BounceHard, Source: "test", Key: "k1"}, subscribers.BouncePolicy{})
			return err
		}},
		{name: "complained", want: subscribers.StatusComplained, suppress: func(e *env, s *subscribers.Subscriber) error {
			_, err := e.store.RecordBounce(context.Background(),
				subscribers.Bounce{SubscriberID: s.ID, Kind: subscribers.BounceComplaint, Source: "test", Key: "k2"}, subscribers.BouncePolicy{})
			return err
		}},
		{name: "blocklisted", want: subscribers.StatusBlocklisted, suppress: func(e *env, s *subscribers.Subscriber) error {
			_, err := e.store.Blocklist(context.Background(), s.Email, "admin", "test")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			sub := e.addSubscriber("erin@example.com", "Weekly Digest")
			u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 9)
			if resp, body := e.postForm(u, "scope=list"); resp.StatusCode != http.StatusOK {
				t.Fatalf("unsubscribe status = %d\n%s", resp.StatusCode, body)
			}
			if err := tc.suppress(e, sub); err != nil {
				t.Fatal(err)
			}
			resp, body := e.postForm(u+"/resubscribe", "scope=list")
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("resubscribe status = %d; want 409", resp.StatusCode)
			}
			if !strings.Contains(body, "We can’t resubscribe this address") || !strings.Contains(body, "e•••@example.com") {
				t.Errorf("resubscribe page does not explain the refusal\n%s", body)
			}
			checkPrivate(t, resp, body, "erin@example.com")
			if got := e.subscriber(sub.ID).Status; got != tc.want {
				t.Errorf("status = %q; want %q", got, tc.want)
			}
			if got := e.subscription(sub.ID, e.listID("Weekly Digest")); got != subscribers.Unsubscribed {
				t.Errorf("subscription = %q; want unsubscribed", got)
			}
		})
	}
}

// TestOversizedBody: bodies over MaxBodyBytes get 413 and change nothing,
// whether the length is announced or not.
func TestOversizedBody(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.MaxBodyBytes = 1024 })
	sub := e.addSubscriber("frank@example.com", "Weekly Digest")
	u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 1)
	big := "List-Unsubscribe=One-Click&pad=" + strings.Repeat("x", 4096)

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("List-Unsubscribe", "One-Click")
	_ = mw.WriteField("pad", strings.Repeat("y", 4096))
	_ = mw.Close()

	tests := []struct {
		name, contentType string
		body              io.Reader
	}{
		{name: "announced", contentType: "application/x-www-form-urlencoded", body: strings.NewReader(big)},
		// io.MultiReader hides the length, so the request is chunked.
		{name: "chunked", contentType: "application/x-www-form-urlencoded", body: io.MultiReader(strings.NewReader(big))},
		{name: "multipart chunked", contentType: mw.FormDataContentType(), body: io.MultiReader(bytes.NewReader(mp.Bytes()))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.post(u, tc.contentType, tc.body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d; want 413\n%s", resp.StatusCode, body)
			}
		})
	}
	if got := e.subscription(sub.ID, e.listID("Weekly Digest")); got != subscribers.Subscribed {
		t.Errorf("subscription = %q after oversized bodies; want subscribed", got)
	}
	// A small body still works.
	if resp, body := e.postForm(u, "List-Unsubscribe=One-Click"); resp.StatusCode != http.StatusOK {
		t.Errorf("small body: status = %d; want 200\n%s", resp.StatusCode, body)
	}
}

// TestPageHeaders: every page forbids framing, referrers, sniffing and
// caching, and its CSP allows exactly the inline stylesheet it carries.
func TestPageHeaders(t *testing.T) {
	e := newEnv(t, nil)
	sub := e.addSubscriber("gina@example.com", "Weekly Digest")
	for _, u := range []string{e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 0), e.ts.URL + "/nowhere", e.ts.URL + "/u/bad"} {
		resp, body := e.get(u)
		h := resp.Header
		for name, want := range map[string]string{
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
			"Cache-Control":          "no-store",
			"Content-Type":           "text/html; charset=utf-8",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q; want %q", u, name, got, want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", u, csp, want)
			}
		}
		start, end := strings.Index(body, "<style>"), strings.Index(body, "</style>")
		if start < 0 || end < start {
			t.Fatalf("%s: no inline stylesheet", u)
		}
		sum := sha256.Sum256([]byte(body[start+len("<style>") : end]))
		if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "style-src "+hash) {
			t.Errorf("%s: CSP %q does not allow the page's stylesheet (%s)", u, csp, hash)
		}
		checkPrivate(t, resp, body, "gina@example.com")
	}
}

// TestNotFound: unknown paths and methods get the 404 page.
func TestNotFound(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{e.ts.URL + "/", e.ts.URL + "/admin", e.ts.URL + "/webhooks/ses"} {
		resp, body := e.get(u)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Page not found") {
			t.Errorf("GET %s: status %d; want the 404 page\n%s", u, resp.StatusCode, body)
		}
	}
}

// TestBaseURLPath: a BaseURL with a path serves every route under it, and
// the forms point there.
func TestBaseURLPath(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.BaseURL = "https://example.com/news/" })
	sub := e.addSubscriber("hal@example.com", "Weekly Digest")
	tok := e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: sub.ID, ListID: e.listID("Weekly Digest")})
	resp, body := e.get(web.UnsubscribeURL(e.ts.URL+"/news/", tok))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/news/u/`+tok+`"`) {
		t.Errorf("GET under /news: status %d; want 200 and a form posting to /news/u/…\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.get(web.UnsubscribeURL(e.ts.URL, tok)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET outside /news: status %d; want 404", resp.StatusCode)
	}
	if resp, body := e.get(e.ts.URL + "/news/healthz"); resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz under /news: %d %q", resp.StatusCode, body)
	}
}

func TestUnsubscribeURL(t *testing.T) {
	tests := []struct{ base, token, want string }{
		{"https://news.example.com", "abc123", "https://news.example.com/u/abc123"},
		{"https://news.example.com/", "abc123", "https://news.example.com/u/abc123"},
		{"https://example.com/news/", "abc123", "https://example.com/news/u/abc123"},
		{"http://127.0.0.1:8080", "v0", "http://127.0.0.1:8080/u/v0"},
	}
	for _, tc := range tests {
		if got := web.UnsubscribeURL(tc.base, tc.token); got != tc.want {
			t.Errorf("UnsubscribeURL(%q, %q) = %q; want %q", tc.base, tc.token, got, tc.want)
		}
	}
}
