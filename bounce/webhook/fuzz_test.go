package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fuzz targets here feed arbitrary payloads to each provider's parser
// past its authentication: SES through parseSES (the Message of an SNS
// notification whose signature checked out), the others through Handle
// with a request that is correctly signed or carries the right secret. So
// every error they return must be a bad request, and every event must be
// one a caller can act on.

var fuzzNow = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// fullStatusRE is an RFC 3463 code and nothing else.
var fullStatusRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)

// checkParsed checks one parse of a verified payload: an error is a bad
// request and comes with no events; events have a known kind, a recipient
// and the normalised fields the callers rely on.
func checkParsed(t *testing.T, provider string, events []Event, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrBadRequest) {
			t.Fatalf("verified %s payload: error %v is not a bad request", provider, err)
		}
		if len(events) != 0 {
			t.Fatalf("error %v came with %d events", err, len(events))
		}
		return
	}
	for i, e := range events {
		if e.Provider != provider {
			t.Fatalf("event %d: provider %q; want %q", i, e.Provider, provider)
		}
		switch e.Kind {
		case KindHard, KindSoft, KindRefused, KindComplaint, KindUnsubscribe:
		default:
			t.Fatalf("event %d: kind %q", i, e.Kind)
		}
		if e.Email == "" || e.Email != strings.TrimSpace(e.Email) {
			t.Fatalf("event %d (%s): recipient %q is empty or untrimmed", i, e.Kind, e.Email)
		}
		if e.Status != "" && !fullStatusRE.MatchString(e.Status) {
			t.Fatalf("event %d: status %q is not an enhanced status code", i, e.Status)
		}
		if e.MessageID != stripAngle(e.MessageID) || e.DeliveryID != strings.TrimSpace(e.DeliveryID) {
			t.Fatalf("event %d: message id %q or delivery id %q not normalised", i, e.MessageID, e.DeliveryID)
		}
		if e.Time.IsZero() || e.Time.Location() != time.UTC {
			t.Fatalf("event %d: time %v is zero or not UTC", i, e.Time)
		}
		for k := range e.Headers {
			if k != textproto.CanonicalMIMEHeaderKey(k) {
				t.Fatalf("event %d: header key %q is not canonical", i, k)
			}
		}
	}
}

// sameParse fails unless two parses of one payload agree: nothing may
// depend on map iteration order.
func sameParse(t *testing.T, a, b []Event, errA, errB error) {
	t.Helper()
	if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
		t.Fatalf("one payload parsed twice differs:\n%+v (%v)\n%+v (%v)", a, errA, b, errB)
	}
}

func fuzzVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	cfg.Now = func() time.Time { return fuzzNow }
	cfg.Headers = []string{"X-Campaign", "list-id"}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// handle posts body to v as provider, with header, and returns the events.
func handle(v *Verifier, provider string, body []byte, header http.Header) ([]Event, error) {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, strings.NewReader(string(body)))
	for k, vs := range header {
		r.Header[k] = vs
	}
	res, err := v.Handle(context.Background(), provider, r)
	if res.Subscription != nil {
		return nil, errors.New("a subscription from a non-SNS provider")
	}
	return res.Events, err
}

// FuzzSESMessage fuzzes the SES notification inside a verified SNS message.
func FuzzSESMessage(f *testing.F) {
	v := fuzzVerifier(f, Config{SES: SESConfig{Enabled: true, TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:dispatch"}}})
	f.Fuzz(func(t *testing.T, message, snsID string) {
		events, err := v.parseSES(message, snsID)
		checkParsed(t, ProviderSES, events, err)
		again, err2 := v.parseSES(message, snsID)
		sameParse(t, events, again, err, err2)
	})
}

// sendgridSigner signs SendGrid requests for a Verifier it configures.
type sendgridSigner struct{ priv *ecdsa.PrivateKey }

func newSendGridSigner(t testing.TB) (sendgridSigner, Config) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return sendgridSigner{priv}, Config{SendGrid: SendGridConfig{PublicKey: base64.StdEncoding.EncodeToString(der)}}
}

// header signs body as SendGrid does, stamped fuzzNow.
func (s sendgridSigner) header(t testing.TB, body []byte) http.Header {
	t.Helper()
	stamp := strconv.FormatInt(fuzzNow.Unix(), 10)
	digest := sha256.Sum256(append([]byte(stamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{
		sendgridSignatureHeader: {base64.StdEncoding.EncodeToString(sig)},
		sendgridTimestampHeader: {stamp},
	}
}

// FuzzSendGridEvents fuzzes the body of a correctly signed SendGrid Event
// Webhook request.
func FuzzSendGridEvents(f *testing.F) {
	signer, cfg := newSendGridSigner(f)
	v := fuzzVerifier(f, cfg)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return // an empty body is refused before it is parsed
		}
		header := signer.header(t, body)
		events, err := handle(v, ProviderSendGrid, body, header)
		checkParsed(t, ProviderSendGrid, events, err)
		again, err2 := handle(v, ProviderSendGrid, body, header)
		sameParse(t, events, again, err, err2)
	})
}

var (
	postmarkFuzzConfig = Config{Postmark: PostmarkConfig{Token: "fuzz-token"}}
	postmarkFuzzHeader = http.Header{DefaultPostmarkHeader: {"fuzz-token"}}
)

// FuzzPostmarkRecord fuzzes the body of a Postmark webhook that carries the
// right token. Postmark posts one record per request.
func FuzzPostmarkRecord(f *testing.F) {
	v := fuzzVerifier(f, postmarkFuzzConfig)
	header := postmarkFuzzHeader
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		events, err := handle(v, ProviderPostmark, body, header)
		checkParsed(t, ProviderPostmark, events, err)
		if len(events) > 1 {
			t.Fatalf("one Postmark record gave %d events", len(events))
		}
		again, err2 := handle(v, ProviderPostmark, body, header)
		sameParse(t, events, again, err, err2)
	})
}

const mailgunFuzzKey = "fuzz-signing-key"

var mailgunFuzzConfig = Config{Mailgun: MailgunConfig{SigningKey: mailgunFuzzKey}}

// mailgunBody wraps eventData in a Mailgun webhook body whose signature
// checks out. The signature comes last, so whatever eventData says about
// "signature" is overridden.
func mailgunBody(t testing.TB, eventData []byte) []byte {
	t.Helper()
	const token = "fuzz-token-0123456789abcdef"
	stamp := strconv.FormatInt(fuzzNow.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(mailgunFuzzKey))
	mac.Write([]byte(stamp + token))
	sig, err := json.Marshal(map[string]string{"timestamp": stamp, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`{"event-data":` + string(eventData) + `,"signature":` + string(sig) + `}`)
}

// FuzzMailgunEventData fuzzes the event-data of a Mailgun webhook whose
// signature checks out.
func FuzzMailgunEventData(f *testing.F) {
	v := fuzzVerifier(f, mailgunFuzzConfig)
	f.Fuzz(func(t *testing.T, eventData []byte) {
		body := mailgunBody(t, eventData)
		events, err := handle(v, ProviderMailgun, body, nil)
		checkParsed(t, ProviderMailgun, events, err)
		if len(events) > 1 {
			t.Fatalf("one Mailgun event gave %d events", len(events))
		}
		again, err2 := handle(v, ProviderMailgun, body, nil)
		sameParse(t, events, again, err, err2)
	})
}
