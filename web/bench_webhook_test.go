package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// benchWebhookEnv is a server with Postmark webhooks, no rate limits, and
// alice mailed just now; it returns her delivery.
func benchWebhookEnv(b *testing.B) (*env, subscribers.Delivery) {
	b.Helper()
	e := newEnv(b, func(c *web.Config) {
		v, err := webhook.New(webhook.Config{Postmark: webhook.PostmarkConfig{Token: postmarkToken}})
		if err != nil {
			b.Fatal(err)
		}
		c.Webhooks, c.RatePerSecond, c.WebhookRatePerSecond = v, -1, -1
	})
	e.addSubscriber("alice@example.com", "Weekly Digest")
	return e, e.mailed("Weekly Digest", "alice@example.com")["alice@example.com"]
}

// checkAttributed fails unless the bounces went to the delivery's campaign,
// so the benchmark measures attribution by token, not by address.
func checkAttributed(b *testing.B, e *env, d subscribers.Delivery) {
	b.Helper()
	c, err := e.store.CampaignBounces(context.Background(), d.CampaignID)
	if err != nil || c.Hard == 0 {
		b.Fatalf("campaign bounces = %+v, %v; want the bounces attributed", c, err)
	}
}

// postmarkTokenBounce is a Postmark hard bounce carrying the delivery
// token in its Metadata.
func postmarkTokenBounce(b *testing.B, id int64, tok string) string {
	body, err := json.Marshal(map[string]any{
		"RecordType": "Bounce", "ID": id, "Type": "HardBounce", "Email": "alice@example.com",
		"Details":  "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
		"Metadata": map[string]any{"dispatch_delivery": tok}, "BouncedAt": "2026-03-02T13:33:54Z",
	})
	if err != nil {
		b.Fatal(err)
	}
	return string(body)
}

func serveWebhook(b *testing.B, h http.Handler, body string) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/postmark", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.DefaultPostmarkHeader, postmarkToken)
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		b.Fatalf("status %d", w.Code)
	}
}

// BenchmarkWebhookHardBounce measures one token-attributed provider bounce
// end to end: verify, parse, verify the token, find the delivery, record
// the bounce in SQLite. Every event has its own id, so every one writes.
func BenchmarkWebhookHardBounce(b *testing.B) {
	e, d := benchWebhookEnv(b)
	h := e.srv.Handler()
	tok := e.tokens.Delivery(d.ID)
	b.ReportAllocs()
	for i := int64(1); b.Loop(); i++ {
		serveWebhook(b, h, postmarkTokenBounce(b, i, tok))
	}
	b.StopTimer()
	checkAttributed(b, e, d)
}

// BenchmarkWebhookDuplicate measures a provider's retry: the same event
// again, which the store finds by its key.
func BenchmarkWebhookDuplicate(b *testing.B) {
	e, d := benchWebhookEnv(b)
	h := e.srv.Handler()
	body := postmarkTokenBounce(b, 1, e.tokens.Delivery(d.ID))
	serveWebhook(b, h, body)
	checkAttributed(b, e, d)
	b.ReportAllocs()
	for b.Loop() {
		serveWebhook(b, h, body)
	}
}
