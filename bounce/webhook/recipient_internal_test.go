package webhook

import (
	"net/http"
	"testing"
)

// TestEventsWithoutRecipientAreDropped: an event that names no recipient
// can be applied to no one, so no provider reports one; the others in the
// same request still count. Found by FuzzSESMessage.
func TestEventsWithoutRecipientAreDropped(t *testing.T) {
	sg, sgConfig := newSendGridSigner(t)
	tests := []struct {
		name string
		run  func(t *testing.T) ([]Event, error)
		want int
	}{
		{name: "ses bounce", want: 1, run: func(t *testing.T) ([]Event, error) {
			v := fuzzVerifier(t, Config{SES: SESConfig{Enabled: true, TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:dispatch"}}})
			return v.parseSES(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",
				"bouncedRecipients":[{},{"emailAddress":"  "},{"emailAddress":"kept@example.com"}]}}`, "sns-1")
		}},
		{name: "ses complaint", want: 0, run: func(t *testing.T) ([]Event, error) {
			v := fuzzVerifier(t, Config{SES: SESConfig{Enabled: true, TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:dispatch"}}})
			return v.parseSES(`{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":""}]}}`, "sns-2")
		}},
		{name: "sendgrid", want: 1, run: func(t *testing.T) ([]Event, error) {
			body := []byte(`[{"event":"bounce","email":""},{"event":"spamreport"},{"event":"bounce","email":"kept@example.com"}]`)
			return handle(fuzzVerifier(t, sgConfig), ProviderSendGrid, body, sg.header(t, body))
		}},
		{name: "postmark", want: 0, run: func(t *testing.T) ([]Event, error) {
			body := []byte(`{"RecordType":"Bounce","Type":"HardBounce","Email":" "}`)
			return handle(fuzzVerifier(t, postmarkFuzzConfig), ProviderPostmark, body, postmarkFuzzHeader)
		}},
		{name: "mailgun", want: 0, run: func(t *testing.T) ([]Event, error) {
			body := mailgunBody(t, []byte(`{"event":"complained"}`))
			return handle(fuzzVerifier(t, mailgunFuzzConfig), ProviderMailgun, body, http.Header{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := tc.run(t)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(events) != tc.want {
				t.Fatalf("got %d events %+v; want %d", len(events), events, tc.want)
			}
			for _, e := range events {
				if e.Email != "kept@example.com" {
					t.Errorf("event for %q; want only kept@example.com", e.Email)
				}
			}
		})
	}
}
