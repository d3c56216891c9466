package webhook_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/google/go-cmp/cmp"
)

type sendgridKey struct {
	priv   *ecdsa.PrivateKey
	public string // base64 DER, as SendGrid shows it
}

func newSendGridKey(t testing.TB) sendgridKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return sendgridKey{priv: priv, public: base64.StdEncoding.EncodeToString(der)}
}

// headers signs timestamp+body the way SendGrid does.
func (k sendgridKey) headers(t testing.TB, ts time.Time, body []byte) http.Header {
	t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	digest := sha256.Sum256(append([]byte(stamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{
		"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
		"X-Twilio-Email-Event-Webhook-Timestamp": {stamp},
		"Content-Type":                           {"application/json"},
	}
}

func TestSendGridEvents(t *testing.T) {
	key := newSendGridKey(t)
	ep := newEndpoint(t, mustNew(t, webhook.Config{SendGrid: webhook.SendGridConfig{PublicKey: key.public}}))
	body := readTestdata(t, "sendgrid_events.json")
	got := ep.postBytes(t, webhook.ProviderSendGrid, body, key.headers(t, testNow, body))
	if got.err != nil {
		t.Fatalf("Handle: %v", got.err)
	}

	wantKinds := []string{
		"hard nobody@test.com",
		"refused blocked@test.com",
		"hard dropped-bounced@test.com",
		"complaint spammer-says@test.com",
		"unsubscribe leaving@test.com",
		"unsubscribe group-leaving@test.com",
	}
	if diff := cmp.Diff(wantKinds, kinds(got.res.Events)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}

	wantFirst := webhook.Event{
		Provider:          "sendgrid",
		Kind:              webhook.KindHard,
		Email:             "nobody@test.com",
		Status:            "5.1.1",
		Reason:            "550 5.1.1 The email account that you tried to reach does not exist.",
		MessageID:         "d-3004.i-44@dispatch.example",
		ProviderMessageID: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000003",
		Vars:              map[string]string{"dispatch_delivery": "3004", "issue": "44"},
		DeliveryID:        "3004",
		Time:              time.Unix(1772446403, 0).UTC(),
		EventID:           "6g4ZI7SA-xmRDv57GoPIPw==",
	}
	if diff := cmp.Diff(wantFirst, got.res.Events[0], ignoreBodyKey); diff != "" {
		t.Errorf("bounce event (-want +got):\n%s", diff)
	}
	if s := got.res.Events[1].Status; s != "5.7.1" {
		t.Errorf("blocked Status = %q; want 5.7.1", s)
	}
	if id := got.res.Events[3].DeliveryID; id != "3008" {
		t.Errorf("spamreport DeliveryID = %q; want 3008", id)
	}
}

func TestSendGridRejects(t *testing.T) {
	key := newSendGridKey(t)
	other := newSendGridKey(t)
	ep := newEndpoint(t, mustNew(t, webhook.Config{SendGrid: webhook.SendGridConfig{PublicKey: key.public}}))
	body := readTestdata(t, "sendgrid_events.json")

	tests := []struct {
		name       string
		request    func() ([]byte, http.Header)
		wantErr    error
		wantStatus int
	}{
		{name: "TamperedBody", request: func() ([]byte, http.Header) {
			h := key.headers(t, testNow, body)
			return []byte(strings.Replace(string(body), `"type": "blocked"`, `"type": "bounce"`, 1)), h
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "TamperedTimestamp", request: func() ([]byte, http.Header) {
			h := key.headers(t, testNow, body)
			h.Set("X-Twilio-Email-Event-Webhook-Timestamp", strconv.FormatInt(testNow.Unix()+1, 10))
			return body, h
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "OtherKey", request: func() ([]byte, http.Header) {
			return body, other.headers(t, testNow, body)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "MissingSignature", request: func() ([]byte, http.Header) {
			h := key.headers(t, testNow, body)
			h.Del("X-Twilio-Email-Event-Webhook-Signature")
			return body, h
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "MissingTimestamp", request: func() ([]byte, http.Header) {
			h := key.headers(t, testNow, body)
			h.Del("X-Twilio-Email-Event-Webhook-Timestamp")
			return body, h
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "GarbageSignature", request: func() ([]byte, http.Header) {
			h := key.headers(t, testNow, body)
			h.Set("X-Twilio-Email-Event-Webhook-Signature", "bm90IGEgc2lnbmF0dXJl")
			return body, h
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "StaleTimestamp", request: func() ([]byte, http.Header) {
			return body, key.headers(t, testNow.Add(-11*time.Minute), body)
		}, wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "FutureTimestamp", request: func() ([]byte, http.Header) {
			return body, key.headers(t, testNow.Add(11*time.Minute), body)
		}, wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "SignedButNotAnArray", request: func() ([]byte, http.Header) {
			b := []byte(`{"event":"bounce"}`)
			return b, key.headers(t, testNow, b)
		}, wantErr: webhook.ErrBadRequest, wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, h := tc.request()
			got := ep.postBytes(t, webhook.ProviderSendGrid, b, h)
			if got.status != tc.wantStatus || !errors.Is(got.err, tc.wantErr) {
				t.Errorf("status, err = %d, %v; want %d, %v", got.status, got.err, tc.wantStatus, tc.wantErr)
			}
			if len(got.res.Events) != 0 {
				t.Errorf("events = %v; want none", kinds(got.res.Events))
			}
		})
	}
}

func TestSendGridKeyFormats(t *testing.T) {
	key := newSendGridKey(t)
	der, _ := base64.StdEncoding.DecodeString(key.public)
	rsaKey := otherKey(t)
	rsaDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384DER, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		key     string
		wantErr bool
	}{
		{name: "Base64DER", key: key.public},
		{name: "Base64DERWithNewline", key: key.public + "\n"},
		{name: "PEM", key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		{name: "NotBase64", key: "not a key!", wantErr: true},
		{name: "NotDER", key: base64.StdEncoding.EncodeToString([]byte("garbage")), wantErr: true},
		{name: "RSAKey", key: base64.StdEncoding.EncodeToString(rsaDER), wantErr: true},
		{name: "P384Key", key: base64.StdEncoding.EncodeToString(p384DER), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := webhook.New(webhook.Config{SendGrid: webhook.SendGridConfig{PublicKey: tc.key}})
			if (err != nil) != tc.wantErr {
				t.Errorf("New(%q) err = %v; want error %v", tc.key, err, tc.wantErr)
			}
		})
	}
}
