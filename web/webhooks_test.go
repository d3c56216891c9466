package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

const (
	postmarkToken = "pm-webhook-secret"
	mailgunKey    = "mailgun-signing-key"
)

var webhookNow = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// withWebhooks enables Postmark (token header) and Mailgun (HMAC) on a
// test server.
func withWebhooks(t *testing.T) func(*web.Config) {
	return func(c *web.Config) {
		v, err := webhook.New(webhook.Config{
			Postmark: webhook.PostmarkConfig{Token: postmarkToken},
			Mailgun:  webhook.MailgunConfig{SigningKey: mailgunKey},
			Now:      func() time.Time { return webhookNow },
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Webhooks = v
	}
}

// postmarkBounce is a Postmark Bounce webhook for email.
func postmarkBounce(id int64, typ, email string) string {
	b, _ := json.Marshal(map[string]any{
		"RecordType":  "Bounce",
		"ID":          id,
		"Type":        typ,
		"MessageID":   "883953f4-6105-42a2-a16a-77a8eac79483",
		"Email":       email,
		"Description": "The server was unable to deliver your message.",
		"Details":     "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
		"BouncedAt":   "2026-03-02T13:33:54Z",
	})
	return string(b)
}

func (e *env) postPostmark(token, body string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/webhooks/postmark", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.DefaultPostmarkHeader, token)
	resp, _ := e.do(req)
	return resp
}

// mailgunEvent is a signed Mailgun webhook carrying eventData.
func mailgunEvent(t *testing.T, token string, eventData map[string]any) string {
	t.Helper()
	ts := strconv.FormatInt(webhookNow.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(mailgunKey))
	mac.Write([]byte(ts + token))
	b, err := json.Marshal(map[string]any{
		"signature":  map[string]any{"timestamp": ts, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": eventData,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) postMailgun(body string) *http.Response {
	e.t.Helper()
	resp, _ := e.post(e.ts.URL+"/webhooks/mailgun", "application/json", strings.NewReader(body))
	return resp
}

func (e *env) bounceRows(subscriberID int64) int {
	e.t.Helper()
	return len(sqlitetest.Bounces(e.t, e.store, subscriberID))
}

// mailed runs a campaign to list and marks its deliveries to emails sent
// now, as a real send would. It returns those deliveries by address.
func (e *env) mailed(list string, emails ...string) map[string]subscribers.Delivery {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.store.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "issue", ListID: e.listID(list), Subject: "S",
		IssuePath: "i.md", Snapshot: []byte("{}")})
	if err != nil {
		e.t.Fatal(err)
	}
	ds, err := e.store.NextQueued(ctx, c.ID, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var ops []subscribers.LedgerOp
	sent := map[string]subscribers.Delivery{}
	for _, d := range ds {
		if slices.Contains(emails, d.Email) {
			sent[d.Email] = d
			ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: c.ListID},
				subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
		}
	}
	if len(ops) != 2*len(emails) {
		e.t.Fatalf("campaign has deliveries for %d of %v", len(ops)/2, emails)
	}
	if _, err := e.store.ApplyLedger(ctx, ops); err != nil {
		e.t.Fatal(err)
	}
	return sent
}

func (e *env) unattributed() []subscribers.UnattributedReport {
	e.t.Helper()
	rs, err := e.store.UnattributedReports(context.Background(), time.Time{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// TestWebhookPostmarkHardBounce: a verified hard bounce for an address
// mailed just now suppresses the subscriber, and the provider's retry of
// it adds no second bounce.
func TestWebhookPostmarkHardBounce(t *testing.T) {
	e := newEnv(t, withWebhooks(t))
	sub := e.addSubscriber("john@example.com", "Weekly Digest")
	e.mailed("Weekly Digest", "john@example.com")
	body := postmarkBounce(4323372036854775807, "HardBounce", "John@Example.com")

	for i := range 2 {
		if resp := e.postPostmark(postmarkToken, body); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delivery %d: status %d; want 204", i+1, resp.StatusCode)
		}
	}
	if got := e.subscriber(sub.ID).Status; got != subscribers.StatusBounced {
		t.Errorf("status = %q; want bounced", got)
	}
	if n := e.bounceRows(sub.ID); n != 1 {
		t.Errorf("%d bounce rows after a repeated webhook; want 1", n)
	}
	b := sqlitetest.Bounces(t, e.store, sub.ID)[0]
	source, key := b.Source, b.Key
	if source != "webhook:postmark" || key != "webhook:postmark:4323372036854775807:john@example.com" {
		t.Errorf("bounce source, key = %q, %q; want webhook:postmark and a provider+event+email key", source, key)
	}
}

// TestWebhookErrors: the Verifier's verdicts map onto statuses, and nothing
// unverified reaches the store.
func TestWebhookErrors(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		withWebhooks(t)(c)
		c.MaxWebhookBodyBytes = 2048
	})
	sub := e.addSubscriber("kim@example.com", "Weekly Digest")
	tests := []struct {
		name string
		do   func() *http.Response
		want int
	}{
		{"wrong secret", func() *http.Response {
			return e.postPostmark("guess", postmarkBounce(1, "HardBounce", "kim@example.com"))
		}, http.StatusUnauthorized},
		{"bad json", func() *http.Response { return e.postPostmark(postmarkToken, "{") }, http.StatusBadRequest},
		{"forged mailgun", func() *http.Response {
			return e.postMailgun(strings.Replace(mailgunEvent(t, "tok-1", map[string]any{
				"id": "ev-1", "event": "failed", "severity": "permanent", "recipient": "kim@example.com",
			}), `"signature":"`, `"signature":"00`, 1))
		}, http.StatusUnauthorized},
		{"unconfigured provider", func() *http.Response {
			resp, _ := e.post(e.ts.URL+"/webhooks/sendgrid", "application/json", strings.NewReader("[]"))
			return resp
		}, http.StatusNotFound},
		{"too large", func() *http.Response {
			return e.postPostmark(postmarkToken, `{"RecordType":"Bounce","Details":"`+strings.Repeat("x", 4096)+`"}`)
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		if resp := tc.do(); resp.StatusCode != tc.want {
			t.Errorf("%s: status %d; want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if got := e.subscriber(sub.ID).Status; got != subscribers.StatusActive {
		t.Errorf("status = %q after rejected webhooks; want active", got)
	}
}

func TestWebhooksDisabled(t *testing.T) {
	e := newEnv(t, nil)
	resp, _ := e.post(e.ts.URL+"/webhooks/postmark", "application/json", strings.NewReader(postmarkBounce(1, "HardBounce", "x@example.com")))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d with no Verifier; want 404", resp.StatusCode)
	}
}

// TestWebhookAttribution: a bounce carrying a delivery token is attributed
// to the delivery's subscriber and campaign even when the provider reports
// another spelling of the address; with a token that does not verify it
// falls back to the address.
func TestWebhookAttribution(t *testing.T) {
	e := newEnv(t, withWebhooks(t))
	alice := e.addSubscriber("alice@example.com", "Weekly Digest")
	bob := e.addSubscriber("bob@example.com", "Weekly Digest")
	d := e.mailed("Weekly Digest", "alice@example.com")["alice@example.com"]
	tok := e.tokens.Delivery(d.ID)

	failed := func(id, recipient, delivery string) map[string]any {
		return map[string]any{
			"id": id, "timestamp": float64(webhookNow.Unix()), "event": "failed", "severity": "permanent",
			"reason": "bounce", "recipient": recipient,
			"delivery-status": map[string]any{"enhanced-code": "5.1.1", "message": "5.1.1 no such user"},
			"message":         map[string]any{"headers": map[string]any{"message-id": "d-" + delivery + "@dispatch.example"}},
			"user-variables":  map[string]any{"dispatch_delivery": delivery},
		}
	}
	// The provider reports an alias; the delivery knows the real recipient.
	if resp := e.postMailgun(mailgunEvent(t, "tok-a", failed("ev-a", "alice+alias@example.com", tok))); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("attributed bounce: status %d; want 204", resp.StatusCode)
	}
	if got := e.subscriber(alice.ID).Status; got != subscribers.StatusBounced {
		t.Errorf("alice status = %q; want bounced", got)
	}
	counts, err := e.store.CampaignBounces(context.Background(), d.CampaignID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Hard != 1 {
		t.Errorf("campaign %d hard bounces = %d; want 1", d.CampaignID, counts.Hard)
	}
	bs := sqlitetest.Bounces(t, e.store, alice.ID)
	if len(bs) != 1 {
		t.Fatalf("%d bounces of alice; want 1", len(bs))
	}
	deliveryID := bs[0].DeliveryID
	if deliveryID != d.ID {
		t.Errorf("bounce delivery_id = %d; want %d", deliveryID, d.ID)
	}

	// Unknown delivery: matched by address (bob was mailed just now), no
	// campaign.
	e.mailed("Weekly Digest", "bob@example.com")
	if resp := e.postMailgun(mailgunEvent(t, "tok-b", failed("ev-b", "bob@example.com", "not-a-token"))); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("fallback bounce: status %d; want 204", resp.StatusCode)
	}
	if got := e.subscriber(bob.ID).Status; got != subscribers.StatusBounced {
		t.Errorf("bob status = %q; want bounced", got)
	}
	if n := e.bounceRows(bob.ID); n != 1 {
		t.Errorf("bob has %d bounce rows; want 1", n)
	}
}

// TestWebhookUnsubscribe: a provider's unsubscribe event unsubscribes, from
// the delivery's list when a delivery token names it, else from every list.
func TestWebhookUnsubscribe(t *testing.T) {
	e := newEnv(t, withWebhooks(t))
	alice := e.addSubscriber("alice@example.com", "Weekly Digest", "Alerts")
	bob := e.addSubscriber("bob@example.com", "Weekly Digest", "Alerts")
	weekly, alerts := e.listID("Weekly Digest"), e.listID("Alerts")
	d := e.mailed("Weekly Digest", "alice@example.com")["alice@example.com"]

	unsub := func(id, recipient, delivery string) map[string]any {
		return map[string]any{
			"id": id, "timestamp": float64(webhookNow.Unix()), "event": "unsubscribed", "recipient": recipient,
			"user-variables": map[string]any{"dispatch_delivery": delivery},
		}
	}
	for _, body := range []string{
		mailgunEvent(t, "tok-1", unsub("ev-1", "alice@example.com", e.tokens.Delivery(d.ID))),
		mailgunEvent(t, "tok-2", unsub("ev-2", "bob@example.com", "")),
		mailgunEvent(t, "tok-3", unsub("ev-3", "nobody@example.com", "")),
	} {
		if resp := e.postMailgun(body); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d; want 204", resp.StatusCode)
		}
	}
	if a, b := e.subscription(alice.ID, weekly), e.subscription(alice.ID, alerts); a != subscribers.Unsubscribed || b != subscribers.Subscribed {
		t.Errorf("alice: Weekly %q, Alerts %q; want unsubscribed, subscribed", a, b)
	}
	ev := e.eventsOfType(alice.ID, subscribers.EventUnsubscribed)
	if len(ev) != 1 || ev[0].CampaignID != d.CampaignID || ev[0].Actor != "webhook:mailgun" {
		t.Errorf("alice's unsubscribe events = %+v; want one for campaign %d by webhook:mailgun", ev, d.CampaignID)
	}
	if got := e.subscriber(bob.ID).Status; got != subscribers.StatusUnsubscribed {
		t.Errorf("bob status = %q; want unsubscribed from every list", got)
	}
}

// TestWebhookEventTiedToNoDeliveryChangesNobody: provider events that no
// delivery explains, about addresses Dispatch never mailed, suppress no one
// (even with a valid provider signature); they are kept for review, once.
func TestWebhookEventTiedToNoDeliveryChangesNobody(t *testing.T) {
	e := newEnv(t, withWebhooks(t))
	kim := e.addSubscriber("kim@example.com", "Weekly Digest")
	lee := e.addSubscriber("lee@example.com", "Weekly Digest")
	complaint := mailgunEvent(t, "tok-c", map[string]any{
		"id": "ev-c", "timestamp": float64(webhookNow.Unix()), "event": "complained", "recipient": "lee@example.com",
		"user-variables": map[string]any{"dispatch_delivery": "not-a-delivery"},
	})
	for range 2 {
		for _, resp := range []*http.Response{
			e.postPostmark(postmarkToken, postmarkBounce(77, "HardBounce", "kim@example.com")),
			e.postMailgun(complaint),
		} {
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d; want 204", resp.StatusCode)
			}
		}
	}
	for _, sub := range []*subscribers.Subscriber{kim, lee} {
		if got := e.subscriber(sub.ID).Status; got != subscribers.StatusActive {
			t.Errorf("%s = %q; want active", sub.Email, got)
		}
		if n := e.bounceRows(sub.ID); n != 0 {
			t.Errorf("%s has %d bounce rows; want 0", sub.Email, n)
		}
	}
	rs := e.unattributed()
	if len(rs) != 2 {
		t.Fatalf("unattributed reports = %+v; want 2 (retries recorded once)", rs)
	}
	for _, r := range rs {
		if !strings.Contains(r.Reason, "not sent a message within 14 days") || !strings.HasPrefix(r.Source, "webhook:") {
			t.Errorf("report %+v; want the reason and the webhook source", r)
		}
	}
	if !strings.Contains(e.logs.String(), "recorded as unattributed") {
		t.Errorf("no warning logged:\n%s", e.logs)
	}
}

// TestWebhookDedupWithoutEventID: an event with neither an event id nor a
// message id is keyed by a hash of the request body, so the provider's
// retry of the same request records nothing twice.
func TestWebhookDedupWithoutEventID(t *testing.T) {
	e := newEnv(t, withWebhooks(t))
	sub := e.addSubscriber("soft@example.com", "Weekly Digest")
	e.mailed("Weekly Digest", "soft@example.com")
	body := `{"RecordType":"Bounce","Type":"SoftBounce","Email":"soft@example.com","Details":"smtp;452 4.2.2 Mailbox full","BouncedAt":"2026-03-02T13:33:54Z"}`
	for i := range 3 {
		if resp := e.postPostmark(postmarkToken, body); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("post %d: status %d; want 204", i+1, resp.StatusCode)
		}
	}
	if n := e.bounceRows(sub.ID); n != 1 {
		t.Errorf("%d bounce rows after three identical posts; want 1", n)
	}
	key := sqlitetest.Bounces(t, e.store, sub.ID)[0].Key
	if !strings.HasPrefix(key, "webhook:postmark:body:") {
		t.Errorf("key = %q; want a body-hash key", key)
	}
	// A different event (another day) is another bounce.
	other := strings.Replace(body, "2026-03-02", "2026-03-03", 1)
	if resp := e.postPostmark(postmarkToken, other); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := e.bounceRows(sub.ID); n != 2 {
		t.Errorf("%d bounce rows after another event; want 2", n)
	}
}
