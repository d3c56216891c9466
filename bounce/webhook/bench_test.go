package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
)

// benchHandle measures Handle on an in-memory request: verification and
// parsing, without the network.
func benchHandle(b *testing.B, v *webhook.Verifier, provider string, body []byte, header http.Header, wantEvents int) {
	b.Helper()
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, bytes.NewReader(body))
		r.Header = header
		res, err := v.Handle(ctx, provider, r)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Events) != wantEvents {
			b.Fatalf("%d events; want %d", len(res.Events), wantEvents)
		}
	}
}

func BenchmarkSESNotification(b *testing.B) {
	for _, version := range []string{"1", "2"} {
		b.Run("SignatureVersion"+version, func(b *testing.B) {
			f := newSNSFixture(b, testNow.Add(-time.Hour), testNow.Add(time.Hour))
			v := mustNew(b, webhook.Config{SES: webhook.SESConfig{Enabled: true, TopicARNs: []string{testTopic}, HTTPClient: f.client}})
			m := notification(string(readTestdata(b, "ses_bounce_permanent.json")))
			m.SignatureVersion = version
			m.sign(b, f.key)
			benchHandle(b, v, webhook.ProviderSES, mustJSON(b, m), http.Header{}, 2)
		})
	}
}

func BenchmarkSendGridBatch(b *testing.B) {
	key := newSendGridKey(b)
	v := mustNew(b, webhook.Config{SendGrid: webhook.SendGridConfig{PublicKey: key.public}})
	body := readTestdata(b, "sendgrid_events.json")
	benchHandle(b, v, webhook.ProviderSendGrid, body, key.headers(b, testNow, body), 6)
}

func BenchmarkPostmarkBounce(b *testing.B) {
	v := mustNew(b, postmarkConfig())
	benchHandle(b, v, webhook.ProviderPostmark, readTestdata(b, "postmark_bounce_hard.json"), postmarkAuth(), 1)
}

func BenchmarkMailgunFailed(b *testing.B) {
	v := mustNew(b, mailgunConfig())
	body := mailgunSign(b, readTestdata(b, "mailgun_failed_permanent.json"), mailgunKey, testNow)
	benchHandle(b, v, webhook.ProviderMailgun, body, http.Header{}, 1)
}
