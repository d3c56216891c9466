package webhook_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/google/go-cmp/cmp"
)

const (
	testTopic   = "arn:aws:sns:us-east-1:123456789012:dispatch-bounces"
	testCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
)

// RSA keys take a while to generate; every fixture shares one.
var (
	snsKeys  = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	attacker = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

func snsKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := snsKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func otherKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := attacker()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// snsFixture is a fake sns.<region>.amazonaws.com: a TLS server that serves
// the signing certificate and answers SubscribeURLs, reached through an
// HTTP client that dials it whatever the host name, so the Verifier's host
// check still sees real SNS URLs.
type snsFixture struct {
	key         *rsa.PrivateKey
	certPEM     []byte
	certFetches atomic.Int32
	confirms    atomic.Int32
	confirmQS   atomic.Value // last ConfirmSubscription raw query
	confirmCode int
	client      *http.Client
}

func newSNSFixture(t testing.TB, notBefore, notAfter time.Time) *snsFixture {
	t.Helper()
	key := snsKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f := &snsFixture{
		key:         key,
		certPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		confirmCode: http.StatusOK,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-0123456789abcdef0123456789abcdef.pem", func(w http.ResponseWriter, r *http.Request) {
		f.certFetches.Add(1)
		w.Write(f.certPEM)
	})
	mux.HandleFunc("GET /SimpleNotificationService-redirect.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem", http.StatusFound)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") != "ConfirmSubscription" {
			http.Error(w, "bad action", http.StatusBadRequest)
			return
		}
		f.confirms.Add(1)
		f.confirmQS.Store(r.URL.RawQuery)
		w.WriteHeader(f.confirmCode)
		w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)

	tr := srv.Client().Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	// httptest's certificate names example.com; trust it for the SNS host.
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs, ServerName: "example.com"}
	f.client = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	return f
}

// snsMsg is an SNS HTTP(S) message as posted to the endpoint.
type snsMsg struct {
	Type             string
	MessageId        string
	Token            string `json:",omitempty"`
	TopicArn         string
	Subject          *string `json:",omitempty"`
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string `json:",omitempty"`
	UnsubscribeURL   string `json:",omitempty"`
}

// canonical is the documented string to sign, written out independently of
// the package's implementation.
func (m *snsMsg) canonical() string {
	var pairs []string
	if m.Type == "Notification" {
		pairs = []string{"Message", m.Message, "MessageId", m.MessageId}
		if m.Subject != nil {
			pairs = append(pairs, "Subject", *m.Subject)
		}
		pairs = append(pairs, "Timestamp", m.Timestamp, "TopicArn", m.TopicArn, "Type", m.Type)
	} else {
		pairs = []string{"Message", m.Message, "MessageId", m.MessageId, "SubscribeURL", m.SubscribeURL,
			"Timestamp", m.Timestamp, "Token", m.Token, "TopicArn", m.TopicArn, "Type", m.Type}
	}
	return strings.Join(pairs, "\n") + "\n"
}

func (m *snsMsg) sign(t testing.TB, key *rsa.PrivateKey) {
	t.Helper()
	var (
		h      crypto.Hash
		digest []byte
	)
	switch m.SignatureVersion {
	case "1":
		s := sha1.Sum([]byte(m.canonical()))
		h, digest = crypto.SHA1, s[:]
	default:
		s := sha256.Sum256([]byte(m.canonical()))
		h, digest = crypto.SHA256, s[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

func notification(message string) *snsMsg {
	return &snsMsg{
		Type:             "Notification",
		MessageId:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         testTopic,
		Message:          message,
		Timestamp:        testNow.Add(-30 * time.Second).Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "1",
		SigningCertURL:   testCertURL,
		UnsubscribeURL:   "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + testTopic + ":c9135db0",
	}
}

func subscriptionMsg(typ string) *snsMsg {
	token := "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d60"
	return &snsMsg{
		Type:             typ,
		MessageId:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            token,
		TopicArn:         testTopic,
		Message:          "You have chosen to subscribe to the topic " + testTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=" + token,
		Timestamp:        testNow.Add(-time.Minute).Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "2",
		SigningCertURL:   testCertURL,
	}
}

func sesConfig(f *snsFixture, autoConfirm bool) webhook.Config {
	return webhook.Config{SES: webhook.SESConfig{
		Enabled:     true,
		TopicARNs:   []string{testTopic},
		AutoConfirm: autoConfirm,
		HTTPClient:  f.client,
	}}
}

func TestSESNotifications(t *testing.T) {
	f := newSNSFixture(t, testNow.Add(-24*time.Hour), testNow.Add(365*24*time.Hour))
	ep := newEndpoint(t, mustNew(t, sesConfig(f, false)))
	subject := "Amazon SES Email Event Notification"

	tests := []struct {
		name    string
		file    string // SES notification in testdata; "" uses message
		message string
		version string
		subject *string
		want    []string
	}{
		{name: "PermanentBounceV1", file: "ses_bounce_permanent.json", version: "1",
			want: []string{"hard jane@example.com", "hard richard@example.com"}},
		{name: "PermanentBounceV2", file: "ses_bounce_permanent.json", version: "2",
			want: []string{"hard jane@example.com", "hard richard@example.com"}},
		{name: "TransientBounceWithSubject", file: "ses_bounce_transient.json", version: "2", subject: &subject,
			want: []string{"soft full@example.net"}},
		{name: "UndeterminedBounce", file: "ses_bounce_undetermined.json", version: "1",
			want: []string{"soft odd@example.org"}},
		{name: "Complaint", file: "ses_complaint.json", version: "1",
			want: []string{"complaint grumpy@example.com"}},
		{name: "NotSpamFeedbackIgnored", file: "ses_complaint_not_spam.json", version: "1"},
		{name: "DeliveryIgnored", file: "ses_delivery.json", version: "2"},
		{name: "EventPublishingBounce", file: "ses_event_bounce.json", version: "2",
			want: []string{"hard gone@example.com"}},
		{name: "EventPublishingOpenIgnored", file: "ses_event_open.json", version: "2"},
		{name: "TopicValidationTextIgnored", message: "Successfully validated SNS topic for Amazon SES event publishing.", version: "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.message
			if tc.file != "" {
				msg = string(readTestdata(t, tc.file))
			}
			m := notification(msg)
			m.SignatureVersion = tc.version
			m.Subject = tc.subject
			m.sign(t, f.key)
			got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
			if got.err != nil {
				t.Fatalf("Handle: %v", got.err)
			}
			if diff := cmp.Diff(tc.want, kinds(got.res.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if got.res.Subscription != nil {
				t.Errorf("Subscription = %+v; want nil", got.res.Subscription)
			}
		})
	}
	if n := f.certFetches.Load(); n != 1 {
		t.Errorf("certificate fetched %d times; want 1 (cached)", n)
	}
}

func TestSESEventFields(t *testing.T) {
	f := newSNSFixture(t, testNow.Add(-24*time.Hour), testNow.Add(365*24*time.Hour))
	ep := newEndpoint(t, mustNew(t, sesConfig(f, false)))

	tests := []struct {
		name string
		file string
		want webhook.Event // the first event
	}{
		{name: "NotificationWithOriginalHeaders", file: "ses_bounce_permanent.json", want: webhook.Event{
			Provider:          "ses",
			Kind:              webhook.KindHard,
			Email:             "jane@example.com",
			Status:            "5.1.1",
			Reason:            "smtp; 550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
			MessageID:         "d-1042.i-42@dispatch.example",
			ProviderMessageID: "0100017c5b0d1f7a-1d6c3b7e-5c1d-4a7e-b9e0-7f0a2c5d9e11-000000",
			Headers: map[string]string{
				"Message-Id":          "<d-1042.i-42@dispatch.example>",
				"X-Dispatch-Delivery": "1042",
			},
			DeliveryID: "1042",
			Time:       time.Date(2026, 3, 2, 10, 14, 22, 507e6, time.UTC),
			EventID:    "0100017c5b0d2b59-2d6a2f4e-7a1b-4f6e-9a51-8f1d3c1c7b2e-000000",
			Recipients: 2,
		}},
		{name: "TransientStatusFromDiagnostic", file: "ses_bounce_transient.json", want: webhook.Event{
			Provider:          "ses",
			Kind:              webhook.KindSoft,
			Email:             "full@example.net",
			Status:            "4.2.2",
			Reason:            "smtp; 452 4.2.2 The email account that you tried to reach is over quota.",
			ProviderMessageID: "0100017c5b0e6f00-3e1f8a2b-9c4d-4e5f-a6b7-c8d9e0f1a2b3-000000",
			Time:              time.Date(2026, 3, 2, 10, 15, 1, 0, time.UTC),
			EventID:           "0100017c5b0e77aa-11b2c3d4-e5f6-4711-8a9b-0c1d2e3f4a5b-000000",
		}},
		{name: "UndeterminedFallsBackToBounceType", file: "ses_bounce_undetermined.json", want: webhook.Event{
			Provider:          "ses",
			Kind:              webhook.KindSoft,
			Email:             "odd@example.org",
			Reason:            "Undetermined Undetermined",
			ProviderMessageID: "0100017c5b0f0000-aaaa-bbbb-cccc-dddddddddddd-000000",
			Time:              time.Date(2026, 3, 2, 10, 16, 0, 0, time.UTC),
			EventID:           "0100017c5b0f0001-aaaa-bbbb-cccc-dddddddddddd-000000",
		}},
		{name: "ComplaintMessageIDFromCommonHeaders", file: "ses_complaint.json", want: webhook.Event{
			Provider:          "ses",
			Kind:              webhook.KindComplaint,
			Email:             "grumpy@example.com",
			Reason:            "abuse",
			MessageID:         "d-1043.i-42@dispatch.example",
			ProviderMessageID: "0100017c5b0d1f7b-2222-3333-4444-555555555555-000000",
			Time:              time.Date(2026, 3, 2, 11, 0, 5, 123e6, time.UTC),
			EventID:           "0100017c5b2a0b11-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9-000000",
		}},
		{name: "EventPublishingHeadersAndTags", file: "ses_event_bounce.json", want: webhook.Event{
			Provider:          "ses",
			Kind:              webhook.KindHard,
			Email:             "gone@example.com",
			Status:            "5.1.1",
			Reason:            "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
			MessageID:         "d-2001.i-43@dispatch.example",
			ProviderMessageID: "0100017c5bffffff-0000-4000-8000-000000000001-000000",
			Headers: map[string]string{
				"Message-Id":          "<d-2001.i-43@dispatch.example>",
				"X-Dispatch-Delivery": "2001",
			},
			Vars:       map[string]string{"issue": "43"},
			DeliveryID: "2001",
			Time:       time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
			EventID:    "0100017c5c000000-6a7b8c9d-0e1f-4a2b-b3c4-d5e6f7a8b9c0-000000",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := notification(string(readTestdata(t, tc.file)))
			m.sign(t, f.key)
			got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
			if got.err != nil {
				t.Fatalf("Handle: %v", got.err)
			}
			if len(got.res.Events) == 0 {
				t.Fatal("no events")
			}
			if tc.want.Recipients == 0 {
				tc.want.Recipients = 1 // the samples name one recipient unless said
			}
			if diff := cmp.Diff(tc.want, got.res.Events[0], ignoreBodyKey); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSESConfiguredHeaders(t *testing.T) {
	f := newSNSFixture(t, testNow.Add(-time.Hour), testNow.Add(time.Hour))
	cfg := sesConfig(f, false)
	cfg.Headers = []string{"list-id"}
	ep := newEndpoint(t, mustNew(t, cfg))
	m := notification(string(readTestdata(t, "ses_event_bounce.json")))
	m.sign(t, f.key)
	got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
	if got.err != nil {
		t.Fatalf("Handle: %v", got.err)
	}
	if h, want := got.res.Events[0].Headers["List-Id"], "Dispatch Weekly <weekly.dispatch.example>"; h != want {
		t.Errorf(`Headers["List-Id"] = %q; want %q`, h, want)
	}
}

func TestSESRejects(t *testing.T) {
	tests := []struct {
		name        string
		mutate      func(m *snsMsg) // before signing
		tamper      func(m *snsMsg) // after signing
		body        string          // raw body instead of a message
		bodyFile    string          // raw body from testdata instead of a message
		wantErr     error           // sentinel
		wantStatus  int             //
		wantFetches int32           // certificate fetches
		signer      func(testing.TB) *rsa.PrivateKey
	}{
		{name: "TamperedMessage", tamper: func(m *snsMsg) {
			m.Message = strings.Replace(m.Message, "Permanent", "Transient", 1)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401, wantFetches: 1},
		{name: "SubjectAddedAfterSigning", tamper: func(m *snsMsg) {
			s := "x"
			m.Subject = &s
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401, wantFetches: 1},
		{name: "TamperedTopicInAllowList", mutate: func(m *snsMsg) {
			m.TopicArn = "arn:aws:sns:us-east-1:123456789012:other"
		}, tamper: func(m *snsMsg) { m.TopicArn = testTopic },
			wantErr: webhook.ErrUnauthorized, wantStatus: 401, wantFetches: 1},
		{name: "SignedByAnotherKey", signer: otherKey, wantErr: webhook.ErrUnauthorized, wantStatus: 401, wantFetches: 1},
		{name: "UnknownSignatureVersion", mutate: func(m *snsMsg) { m.SignatureVersion = "3" },
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "BadSignatureEncoding", tamper: func(m *snsMsg) { m.Signature = "%%%" },
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "TopicNotAllowed", mutate: func(m *snsMsg) { m.TopicArn = "arn:aws:sns:us-east-1:999999999999:evil" },
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "StaleTimestamp", mutate: func(m *snsMsg) {
			m.Timestamp = testNow.Add(-11 * time.Minute).Format(time.RFC3339)
		}, wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "FutureTimestamp", mutate: func(m *snsMsg) {
			m.Timestamp = testNow.Add(11 * time.Minute).Format(time.RFC3339)
		}, wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "CertHostSuffixAttack", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertHostNotSNS", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://s3.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertHostInPath", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://evil.example/sns.us-east-1.amazonaws.com/x.pem"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertOverHTTP", mutate: func(m *snsMsg) {
			m.SigningCertURL = strings.Replace(testCertURL, "https:", "http:", 1)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertWithPort", mutate: func(m *snsMsg) {
			m.SigningCertURL = strings.Replace(testCertURL, ".com/", ".com:8443/", 1)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertWithUserinfo", mutate: func(m *snsMsg) {
			m.SigningCertURL = strings.Replace(testCertURL, "https://", "https://evil@", 1)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertNotPEM", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertInAnotherRegion", mutate: func(m *snsMsg) {
			m.SigningCertURL = strings.Replace(testCertURL, "us-east-1", "eu-west-1", 1)
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertPathNotSNS", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com/uploads/evil.pem"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertWithQuery", mutate: func(m *snsMsg) {
			m.SigningCertURL = testCertURL + "?x=.pem"
		}, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "CertRedirectNotFollowed", mutate: func(m *snsMsg) {
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-redirect.pem"
		}, wantStatus: 500},
		{name: "UnknownType", mutate: func(m *snsMsg) { m.Type = "Telegram" },
			wantErr: webhook.ErrBadRequest, wantStatus: 400},
		{name: "RawMessageDelivery", bodyFile: "ses_bounce_permanent.json", wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "NotJSON", body: "Type=Notification", wantErr: webhook.ErrBadRequest, wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh fixture per case, so fetch counts are the case's own.
			f := newSNSFixture(t, testNow.Add(-time.Hour), testNow.Add(time.Hour))
			ep := newEndpoint(t, mustNew(t, sesConfig(f, true)))
			var body []byte
			if tc.bodyFile != "" {
				body = readTestdata(t, tc.bodyFile)
			} else if tc.body != "" {
				body = []byte(tc.body)
			} else {
				m := notification(string(readTestdata(t, "ses_bounce_permanent.json")))
				if tc.mutate != nil {
					tc.mutate(m)
				}
				key := f.key
				if tc.signer != nil {
					key = tc.signer(t)
				}
				m.sign(t, key)
				if tc.tamper != nil {
					tc.tamper(m)
				}
				body = mustJSON(t, m)
			}
			got := ep.postBytes(t, webhook.ProviderSES, body, nil)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d (%v); want %d", got.status, got.err, tc.wantStatus)
			}
			if tc.wantErr != nil && !errors.Is(got.err, tc.wantErr) {
				t.Errorf("err = %v; want %v", got.err, tc.wantErr)
			}
			if len(got.res.Events) != 0 {
				t.Errorf("events = %v; want none", kinds(got.res.Events))
			}
			if n := f.certFetches.Load(); n != tc.wantFetches {
				t.Errorf("certificate fetched %d times; want %d", n, tc.wantFetches)
			}
		})
	}
}

func TestSESCertificateValidity(t *testing.T) {
	tests := []struct {
		name       string
		notBefore  time.Time
		notAfter   time.Time
		wantStatus int
	}{
		{name: "Valid", notBefore: testNow.Add(-time.Hour), notAfter: testNow.Add(time.Hour), wantStatus: 200},
		{name: "Expired", notBefore: testNow.Add(-48 * time.Hour), notAfter: testNow.Add(-24 * time.Hour), wantStatus: 401},
		{name: "NotYetValid", notBefore: testNow.Add(24 * time.Hour), notAfter: testNow.Add(48 * time.Hour), wantStatus: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSNSFixture(t, tc.notBefore, tc.notAfter)
			ep := newEndpoint(t, mustNew(t, sesConfig(f, false)))
			m := notification(string(readTestdata(t, "ses_complaint.json")))
			m.sign(t, f.key)
			got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d (%v); want %d", got.status, got.err, tc.wantStatus)
			}
		})
	}
}

func TestSESSubscription(t *testing.T) {
	tests := []struct {
		name         string
		typ          string
		autoConfirm  bool
		confirmCode  int
		subscribeURL string // overrides the message's before signing
		wantStatus   int
		wantSub      *webhook.Subscription
		wantConfirms int32
	}{
		{name: "AutoConfirmFetchesSubscribeURL", typ: webhook.SNSSubscriptionConfirmation, autoConfirm: true,
			wantStatus: 200, wantConfirms: 1,
			wantSub: &webhook.Subscription{Type: webhook.SNSSubscriptionConfirmation, TopicARN: testTopic, Confirmed: true}},
		{name: "ManualConfirmDoesNotFetch", typ: webhook.SNSSubscriptionConfirmation,
			wantStatus: 200, wantConfirms: 0,
			wantSub: &webhook.Subscription{Type: webhook.SNSSubscriptionConfirmation, TopicARN: testTopic}},
		{name: "ConfirmFailureIsRetryable", typ: webhook.SNSSubscriptionConfirmation, autoConfirm: true,
			confirmCode: http.StatusForbidden, wantStatus: 500, wantConfirms: 1},
		{name: "SubscribeURLOffSNSRejected", typ: webhook.SNSSubscriptionConfirmation, autoConfirm: true,
			subscribeURL: "https://evil.example/?Action=ConfirmSubscription", wantStatus: 401, wantConfirms: 0},
		{name: "UnsubscribeConfirmationReported", typ: webhook.SNSUnsubscribeConfirmation, autoConfirm: true,
			wantStatus: 200, wantConfirms: 0,
			wantSub: &webhook.Subscription{Type: webhook.SNSUnsubscribeConfirmation, TopicARN: testTopic}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSNSFixture(t, testNow.Add(-time.Hour), testNow.Add(time.Hour))
			if tc.confirmCode != 0 {
				f.confirmCode = tc.confirmCode
			}
			ep := newEndpoint(t, mustNew(t, sesConfig(f, tc.autoConfirm)))
			m := subscriptionMsg(tc.typ)
			if tc.subscribeURL != "" {
				m.SubscribeURL = tc.subscribeURL
			}
			m.sign(t, f.key)
			got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
			if got.status != tc.wantStatus {
				t.Fatalf("status = %d (%v); want %d", got.status, got.err, tc.wantStatus)
			}
			if n := f.confirms.Load(); n != tc.wantConfirms {
				t.Errorf("SubscribeURL fetched %d times; want %d", n, tc.wantConfirms)
			}
			if tc.wantSub != nil {
				tc.wantSub.SubscribeURL = m.SubscribeURL
			}
			if diff := cmp.Diff(tc.wantSub, got.res.Subscription); diff != "" {
				t.Errorf("Subscription (-want +got):\n%s", diff)
			}
			if len(got.res.Events) != 0 {
				t.Errorf("events = %v; want none", kinds(got.res.Events))
			}
			if tc.wantConfirms > 0 && tc.wantStatus == 200 {
				qs, _ := f.confirmQS.Load().(string)
				if !strings.Contains(qs, "Token="+m.Token) {
					t.Errorf("confirm query %q lacks the token", qs)
				}
			}
		})
	}
}

// TestSESTopicARNsRequired: with SES on, a verifier without topics (or with
// something that is not a topic ARN) is refused, because a valid SNS
// signature only proves that some AWS account sent the message.
func TestSESTopicARNsRequired(t *testing.T) {
	for _, tc := range []struct {
		name    string
		topics  []string
		wantErr string
	}{
		{name: "None", wantErr: "topic arns are required"},
		{name: "Empty", topics: []string{}, wantErr: "topic arns are required"},
		{name: "NotAnARN", topics: []string{"dispatch-bounces"}, wantErr: `"dispatch-bounces" is not an SNS topic ARN`},
		{name: "WrongService", topics: []string{"arn:aws:sqs:us-east-1:123456789012:q"}, wantErr: "is not an SNS topic ARN"},
		{name: "Wildcard", topics: []string{"arn:aws:sns:us-east-1:123456789012:*"}, wantErr: "is not an SNS topic ARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := webhook.New(webhook.Config{SES: webhook.SESConfig{Enabled: true, TopicARNs: tc.topics}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v; want an error containing %q", err, tc.wantErr)
			}
		})
	}
	// Disabled SES needs no topics.
	if _, err := webhook.New(webhook.Config{}); err != nil {
		t.Fatalf("New without SES: %v", err)
	}
}

// TestSESOnlyListedTopicsConfirmed: a correctly signed subscription
// confirmation for a topic that is not listed, or whose SubscribeURL
// confirms another topic, is refused before anything is fetched.
func TestSESOnlyListedTopicsConfirmed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(m *snsMsg)
	}{
		{name: "AttackerTopic", mutate: func(m *snsMsg) {
			m.TopicArn = "arn:aws:sns:us-east-1:999999999999:attacker"
			m.SubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + m.TopicArn + "&Token=" + m.Token
		}},
		{name: "SubscribeURLForAnotherTopic", mutate: func(m *snsMsg) {
			m.SubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:999999999999:attacker&Token=" + m.Token
		}},
		{name: "SubscribeURLInAnotherRegion", mutate: func(m *snsMsg) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "sns.us-east-1", "sns.eu-west-1", 1)
		}},
		{name: "SubscribeURLNotAConfirmation", mutate: func(m *snsMsg) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "Action=ConfirmSubscription", "Action=Publish", 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSNSFixture(t, testNow.Add(-time.Hour), testNow.Add(time.Hour))
			ep := newEndpoint(t, mustNew(t, sesConfig(f, true)))
			m := subscriptionMsg(webhook.SNSSubscriptionConfirmation)
			tc.mutate(m)
			m.sign(t, f.key)
			got := ep.postBytes(t, webhook.ProviderSES, mustJSON(t, m), nil)
			if got.status != http.StatusUnauthorized || !errors.Is(got.err, webhook.ErrUnauthorized) {
				t.Errorf("status = %d (%v); want 401 unauthorized", got.status, got.err)
			}
			if n := f.confirms.Load(); n != 0 {
				t.Errorf("SubscribeURL fetched %d times; want 0", n)
			}
			if got.res.Subscription != nil {
				t.Errorf("Subscription = %+v; want none", got.res.Subscription)
			}
		})
	}
}
