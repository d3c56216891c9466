package webhook_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/google/go-cmp/cmp"
)

func postmarkConfig() webhook.Config {
	return webhook.Config{Postmark: webhook.PostmarkConfig{
		Username: "postmark",
		Password: "s3cret-pass",
		Token:    "tok-123456",
	}}
}

// postmarkAuth returns headers with the configured credentials.
func postmarkAuth() http.Header {
	req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
	req.SetBasicAuth("postmark", "s3cret-pass")
	req.Header.Set("X-Webhook-Token", "tok-123456")
	req.Header.Set("Content-Type", "application/json")
	return req.Header
}

func TestPostmarkEvents(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, postmarkConfig()))
	tests := []struct {
		file string
		want []webhook.Event
	}{
		{file: "postmark_bounce_hard.json", want: []webhook.Event{{
			Provider:          "postmark",
			Kind:              webhook.KindHard,
			Email:             "john@example.com",
			Status:            "5.1.1",
			Reason:            "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
			ProviderMessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
			Vars:              map[string]string{"dispatch_delivery": "4001", "issue": "45"},
			DeliveryID:        "4001",
			Time:              time.Date(2026, 3, 2, 13, 33, 54, 907025900, time.UTC),
			EventID:           "4323372036854775807",
		}}},
		{file: "postmark_bounce_soft.json", want: []webhook.Event{{
			Provider:          "postmark",
			Kind:              webhook.KindSoft,
			Email:             "full@example.com",
			Status:            "4.2.2",
			Reason:            "smtp;452 4.2.2 Mailbox full",
			ProviderMessageID: "2c1b63fe-43f2-4db3-91c0-2b2f0d2b0a3d",
			Time:              time.Date(2026, 3, 2, 18, 40, 0, 0, time.UTC),
			EventID:           "692560173",
		}}},
		{file: "postmark_spam_complaint.json", want: []webhook.Event{{
			Provider:          "postmark",
			Kind:              webhook.KindComplaint,
			Email:             "grumpy@example.com",
			Reason:            "Test spam complaint details",
			ProviderMessageID: "00000000-0000-0000-0000-000000000000",
			Vars:              map[string]string{"X-Dispatch-Delivery": "4002"},
			DeliveryID:        "4002",
			Time:              time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC),
			EventID:           "42",
		}}},
		{file: "postmark_subscription_change.json", want: []webhook.Event{{
			Provider:          "postmark",
			Kind:              webhook.KindUnsubscribe,
			Email:             "leaving@example.com",
			Reason:            "ManualSuppression",
			ProviderMessageID: "883953f4-6105-42a2-a16a-77a8eac79484",
			Vars:              map[string]string{"dispatch-delivery": "4003"},
			DeliveryID:        "4003",
			Time:              time.Date(2026, 3, 2, 14, 10, 34, 416071000, time.UTC),
		}}},
		{file: "postmark_autoresponder.json"},
		{file: "postmark_reactivation.json"},
		{file: "postmark_delivery.json"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := ep.postBytes(t, webhook.ProviderPostmark, readTestdata(t, tc.file), postmarkAuth())
			if got.err != nil {
				t.Fatalf("Handle: %v", got.err)
			}
			if diff := cmp.Diff(tc.want, got.res.Events, ignoreBodyKey); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPostmarkAuth(t *testing.T) {
	body := readTestdata(t, "postmark_bounce_hard.json")
	withBasic := func(user, pass string) http.Header {
		h := postmarkAuth()
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(user, pass)
		h.Set("Authorization", req.Header.Get("Authorization"))
		return h
	}
	tests := []struct {
		name       string
		cfg        webhook.PostmarkConfig
		header     http.Header
		body       []byte
		wantStatus int
	}{
		{name: "BasicAndToken", cfg: postmarkConfig().Postmark, header: postmarkAuth(), wantStatus: 200},
		{name: "NoCredentials", cfg: postmarkConfig().Postmark, header: http.Header{}, wantStatus: 401},
		{name: "WrongPassword", cfg: postmarkConfig().Postmark, header: withBasic("postmark", "guess"), wantStatus: 401},
		{name: "WrongUser", cfg: postmarkConfig().Postmark, header: withBasic("admin", "s3cret-pass"), wantStatus: 401},
		{name: "PasswordPrefix", cfg: postmarkConfig().Postmark, header: withBasic("postmark", "s3cret"), wantStatus: 401},
		{name: "MissingToken", cfg: postmarkConfig().Postmark, header: func() http.Header {
			h := postmarkAuth()
			h.Del("X-Webhook-Token")
			return h
		}(), wantStatus: 401},
		{name: "WrongToken", cfg: postmarkConfig().Postmark, header: func() http.Header {
			h := postmarkAuth()
			h.Set("X-Webhook-Token", "tok-654321")
			return h
		}(), wantStatus: 401},
		{name: "TokenOnlyCustomHeader", cfg: webhook.PostmarkConfig{Token: "abc", TokenHeader: "X-Hook-Secret"},
			header: http.Header{"X-Hook-Secret": {"abc"}}, wantStatus: 200},
		{name: "TokenOnlyDefaultHeaderIgnored", cfg: webhook.PostmarkConfig{Token: "abc", TokenHeader: "X-Hook-Secret"},
			header: http.Header{"X-Webhook-Token": {"abc"}}, wantStatus: 401},
		{name: "BasicOnly", cfg: webhook.PostmarkConfig{Username: "postmark", Password: "s3cret-pass"},
			header: withBasic("postmark", "s3cret-pass"), wantStatus: 200},
		{name: "AuthCheckedBeforeBodySize", cfg: postmarkConfig().Postmark, header: http.Header{},
			body: bytes.Repeat([]byte("x"), 2<<20), wantStatus: 401},
		{name: "AuthenticatedBadJSON", cfg: postmarkConfig().Postmark, header: postmarkAuth(),
			body: []byte(`{"RecordType":`), wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := newEndpoint(t, mustNew(t, webhook.Config{Postmark: tc.cfg}))
			b := body
			if tc.body != nil {
				b = tc.body
			}
			got := ep.postBytes(t, webhook.ProviderPostmark, b, tc.header)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d (%v); want %d", got.status, got.err, tc.wantStatus)
			}
			if tc.wantStatus == 401 && !errors.Is(got.err, webhook.ErrUnauthorized) {
				t.Errorf("err = %v; want ErrUnauthorized", got.err)
			}
		})
	}
}

func TestPostmarkConfigNeedsPasswordWithUsername(t *testing.T) {
	for _, cfg := range []webhook.PostmarkConfig{{Username: "u"}, {Password: "p"}} {
		if _, err := webhook.New(webhook.Config{Postmark: cfg}); err == nil {
			t.Errorf("New(%+v) succeeded; want an error", cfg)
		}
	}
}

// TestBodyKey: each event carries a key derived from the request body, the
// same for a provider's retry of the request and different for another
// request, so events without a provider id can still be de-duplicated.
func TestBodyKey(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, postmarkConfig()))
	body := readTestdata(t, "postmark_subscription_change.json")
	first := ep.postBytes(t, webhook.ProviderPostmark, body, postmarkAuth())
	retry := ep.postBytes(t, webhook.ProviderPostmark, body, postmarkAuth())
	if first.err != nil || retry.err != nil || len(first.res.Events) != 1 || len(retry.res.Events) != 1 {
		t.Fatalf("Handle: %v, %v; events %d, %d", first.err, retry.err, len(first.res.Events), len(retry.res.Events))
	}
	k := first.res.Events[0].BodyKey
	if len(k) != 64+2 || !strings.HasSuffix(k, ":0") {
		t.Errorf("BodyKey = %q; want a SHA-256 in hex and the event's index", k)
	}
	if retry.res.Events[0].BodyKey != k {
		t.Errorf("retry BodyKey = %q; want %q", retry.res.Events[0].BodyKey, k)
	}
	other := bytes.Replace(body, []byte("2026"), []byte("2027"), 1)
	if bytes.Equal(other, body) {
		t.Fatal("test body has no year to change")
	}
	got := ep.postBytes(t, webhook.ProviderPostmark, other, postmarkAuth())
	if got.err != nil || len(got.res.Events) != 1 || got.res.Events[0].BodyKey == k {
		t.Errorf("another body: %v, %+v; want a different BodyKey", got.err, got.res.Events)
	}
}
