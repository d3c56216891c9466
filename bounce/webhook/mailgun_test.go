package webhook_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/google/go-cmp/cmp"
)

const mailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// mailgunSign returns the file's payload with a fresh signature block made
// with key at ts.
func mailgunSign(t testing.TB, payload []byte, key string, ts time.Time) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	p["signature"] = mailgunSignature(t, key, strconv.FormatInt(ts.Unix(), 10), randomToken(t))
	return mustJSON(t, p)
}

func mailgunSignature(t testing.TB, key, timestamp, token string) map[string]any {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(timestamp + token))
	return map[string]any{
		"timestamp": timestamp,
		"token":     token,
		"signature": hex.EncodeToString(mac.Sum(nil)),
	}
}

func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 25)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b) // 50 characters, like Mailgun's
}

// resign replaces the signature block of a signed payload.
func resign(t *testing.T, body []byte, edit func(sig map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	edit(p["signature"].(map[string]any))
	return mustJSON(t, p)
}

func mailgunConfig() webhook.Config {
	return webhook.Config{Mailgun: webhook.MailgunConfig{SigningKey: mailgunKey}}
}

func TestMailgunEvents(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	tests := []struct {
		file string
		want []webhook.Event
	}{
		{file: "mailgun_failed_permanent.json", want: []webhook.Event{{
			Provider:   "mailgun",
			Kind:       webhook.KindHard,
			Email:      "alice@example.com",
			Status:     "5.1.1",
			Reason:     "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
			MessageID:  "d-5001.i-46@dispatch.example",
			Headers:    map[string]string{"Message-Id": "d-5001.i-46@dispatch.example"},
			Vars:       map[string]string{"dispatch_delivery": "5001", "issue": "46"},
			DeliveryID: "5001",
			Time:       time.Unix(1772460000, 375624000).UTC(),
			EventID:    "G9Bn5sl1TC6nu79C8C0bwg",
		}}},
		{file: "mailgun_failed_temporary.json", want: []webhook.Event{{
			Provider:  "mailgun",
			Kind:      webhook.KindSoft,
			Email:     "bob@example.com",
			Status:    "4.2.2",
			Reason:    "4.2.2 The email account that you tried to reach is over quota.",
			MessageID: "d-5002.i-46@dispatch.example",
			Headers:   map[string]string{"Message-Id": "<d-5002.i-46@dispatch.example>"},
			Time:      time.Unix(1772460100, 100000000).UTC(),
			EventID:   "Fs7-5t81S2ioWvwyk9OLFg",
		}}},
		{file: "mailgun_failed_old.json", want: []webhook.Event{{
			Provider:  "mailgun",
			Kind:      webhook.KindSoft,
			Email:     "greylisted@example.com",
			Reason:    "Too old",
			MessageID: "d-5003.i-46@dispatch.example",
			Headers:   map[string]string{"Message-Id": "d-5003.i-46@dispatch.example"},
			Time:      time.Unix(1772460200, 0).UTC(),
			EventID:   "old-0000000000000000000",
		}}},
		{file: "mailgun_complained.json", want: []webhook.Event{{
			Provider:   "mailgun",
			Kind:       webhook.KindComplaint,
			Email:      "carol@example.com",
			Reason:     "complained",
			MessageID:  "d-5004.i-46@dispatch.example",
			Headers:    map[string]string{"Message-Id": "d-5004.i-46@dispatch.example"},
			Vars:       map[string]string{"X-Dispatch-Delivery": "5004"},
			DeliveryID: "5004",
			Time:       time.Unix(1772460300, 0).UTC(),
			EventID:    "-Agny091SquKnsrW2NEKUA",
		}}},
		{file: "mailgun_unsubscribed.json", want: []webhook.Event{{
			Provider:  "mailgun",
			Kind:      webhook.KindUnsubscribe,
			Email:     "dave@example.com",
			Reason:    "unsubscribed",
			MessageID: "d-5005.i-46@dispatch.example",
			Headers:   map[string]string{"Message-Id": "d-5005.i-46@dispatch.example"},
			Time:      time.Unix(1772460400, 500000000).UTC(),
			EventID:   "Ase7i2zsRYeDXztHGENqRA",
		}}},
		{file: "mailgun_delivered.json"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body := mailgunSign(t, readTestdata(t, tc.file), mailgunKey, testNow)
			got := ep.postBytes(t, webhook.ProviderMailgun, body, nil)
			if got.err != nil {
				t.Fatalf("Handle: %v", got.err)
			}
			// Float seconds lose sub-microsecond precision; compare to the µs.
			for i := range got.res.Events {
				got.res.Events[i].Time = got.res.Events[i].Time.Round(time.Microsecond)
			}
			if diff := cmp.Diff(tc.want, got.res.Events, ignoreBodyKey); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMailgunHeaderSpellingsParseTheSame: when the echoed headers spell one
// name twice, every parse picks the same one (in byte order of the names),
// so a provider retry is recognised as the same message. Found by
// FuzzMailgunEventData.
func TestMailgunHeaderSpellingsParseTheSame(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	payload := []byte(`{"event-data":{"event":"failed","severity":"permanent","recipient":"a@example.com",
		"message":{"headers":{"message-id":"<second@example.com>","Message-Id":"<first@example.com>"}}}}`)
	for range 20 {
		got := ep.postBytes(t, webhook.ProviderMailgun, mailgunSign(t, payload, mailgunKey, testNow), nil)
		if got.err != nil || len(got.res.Events) != 1 {
			t.Fatalf("Handle = %+v, %v; want one event", got.res, got.err)
		}
		if id := got.res.Events[0].MessageID; id != "first@example.com" {
			t.Fatalf("MessageID = %q; want first@example.com, from the header spelled Message-Id", id)
		}
	}
}

func TestMailgunRejects(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	payload := readTestdata(t, "mailgun_failed_permanent.json")
	signed := mailgunSign(t, payload, mailgunKey, testNow)

	tests := []struct {
		name       string
		body       []byte
		wantErr    error
		wantStatus int
	}{
		{name: "FileSignatureIsNotOurs", body: payload, wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "OtherKey", body: mailgunSign(t, payload, "key-other", testNow),
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "TamperedToken", body: resign(t, signed, func(s map[string]any) { s["token"] = randomToken(t) }),
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "TamperedTimestamp", body: resign(t, signed, func(s map[string]any) {
			s["timestamp"] = strconv.FormatInt(testNow.Unix()+1, 10)
		}), wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "TamperedSignature", body: resign(t, signed, func(s map[string]any) {
			sig := []byte(s["signature"].(string))
			sig[0] ^= 1
			s["signature"] = string(sig)
		}), wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "NonHexSignature", body: resign(t, signed, func(s map[string]any) { s["signature"] = "zz" }),
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "MissingSignature", body: resign(t, signed, func(s map[string]any) { delete(s, "signature") }),
			wantErr: webhook.ErrUnauthorized, wantStatus: 401},
		{name: "StaleTimestamp", body: mailgunSign(t, payload, mailgunKey, testNow.Add(-11*time.Minute)),
			wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "FutureTimestamp", body: mailgunSign(t, payload, mailgunKey, testNow.Add(11*time.Minute)),
			wantErr: webhook.ErrStale, wantStatus: 401},
		{name: "NotJSON", body: []byte("token=x&timestamp=1&signature=y"),
			wantErr: webhook.ErrBadRequest, wantStatus: 400},
		{name: "SignedWithoutEventData", body: mustJSON(t, map[string]any{
			"signature": mailgunSignature(t, mailgunKey, strconv.FormatInt(testNow.Unix(), 10), randomToken(t)),
		}), wantErr: webhook.ErrBadRequest, wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ep.postBytes(t, webhook.ProviderMailgun, tc.body, nil)
			if got.status != tc.wantStatus || !errors.Is(got.err, tc.wantErr) {
				t.Errorf("status, err = %d, %v; want %d, %v", got.status, got.err, tc.wantStatus, tc.wantErr)
			}
			if len(got.res.Events) != 0 {
				t.Errorf("events = %v; want none", kinds(got.res.Events))
			}
		})
	}
}

func TestMailgunSignatureVariants(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	payload := readTestdata(t, "mailgun_complained.json")
	ts := strconv.FormatInt(testNow.Unix(), 10)

	tests := []struct {
		name string
		sig  func() map[string]any
	}{
		{name: "NumericTimestamp", sig: func() map[string]any {
			s := mailgunSignature(t, mailgunKey, ts, randomToken(t))
			s["timestamp"] = json.Number(ts)
			return s
		}},
		{name: "ParentSignatureOfSubaccount", sig: func() map[string]any {
			// The subaccount's own signature uses a key we do not have; the
			// primary account's key (ours) signs parent-signature.
			token := randomToken(t)
			s := mailgunSignature(t, "key-subaccount", ts, token)
			s["parent-signature"] = mailgunSignature(t, mailgunKey, ts, token)["signature"]
			return s
		}},
		{name: "UppercaseHex", sig: func() map[string]any {
			s := mailgunSignature(t, mailgunKey, ts, randomToken(t))
			s["signature"] = strings.ToUpper(s["signature"].(string))
			return s
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(payload, &p); err != nil {
				t.Fatal(err)
			}
			p["signature"] = tc.sig()
			got := ep.postBytes(t, webhook.ProviderMailgun, mustJSON(t, p), nil)
			if got.err != nil {
				t.Fatalf("Handle: %v", got.err)
			}
			if diff := cmp.Diff([]string{"complaint carol@example.com"}, kinds(got.res.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMailgunTokenReplay(t *testing.T) {
	tests := []struct {
		name          string
		remember      bool
		wantSecond    int
		wantSecondErr error
	}{
		{name: "Remembered", remember: true, wantSecond: 401, wantSecondErr: webhook.ErrReplayed},
		{name: "NotRemembered", remember: false, wantSecond: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mailgunConfig()
			cfg.Mailgun.RememberTokens = tc.remember
			ep := newEndpoint(t, mustNew(t, cfg))
			body := mailgunSign(t, readTestdata(t, "mailgun_failed_permanent.json"), mailgunKey, testNow)
			if got := ep.postBytes(t, webhook.ProviderMailgun, body, nil); got.status != 200 {
				t.Fatalf("first: status = %d (%v); want 200", got.status, got.err)
			}
			got := ep.postBytes(t, webhook.ProviderMailgun, body, nil)
			if got.status != tc.wantSecond {
				t.Errorf("replay: status = %d (%v); want %d", got.status, got.err, tc.wantSecond)
			}
			if tc.wantSecondErr != nil && !errors.Is(got.err, tc.wantSecondErr) {
				t.Errorf("replay: err = %v; want %v", got.err, tc.wantSecondErr)
			}
			// A forged request with a fresh token must not be remembered:
			// the genuine one that later uses the token still passes.
			token := randomToken(t)
			forged := resign(t, body, func(s map[string]any) {
				s["token"] = token
				s["signature"] = "00"
			})
			if got := ep.postBytes(t, webhook.ProviderMailgun, forged, nil); got.status != 401 {
				t.Fatalf("forged: status = %d; want 401", got.status)
			}
			genuine := resign(t, body, func(s map[string]any) {
				for k, v := range mailgunSignature(t, mailgunKey, strconv.FormatInt(testNow.Unix(), 10), token) {
					s[k] = v
				}
			})
			if got := ep.postBytes(t, webhook.ProviderMailgun, genuine, nil); got.status != 200 {
				t.Errorf("genuine after forged: status = %d (%v); want 200", got.status, got.err)
			}
		})
	}
}

func TestMaxAgeDisabled(t *testing.T) {
	cfg := mailgunConfig()
	cfg.MaxAge = -1
	ep := newEndpoint(t, mustNew(t, cfg))
	body := mailgunSign(t, readTestdata(t, "mailgun_unsubscribed.json"), mailgunKey, testNow.Add(-72*time.Hour))
	if got := ep.postBytes(t, webhook.ProviderMailgun, body, nil); got.status != 200 {
		t.Errorf("status = %d (%v); want 200 with MaxAge < 0", got.status, got.err)
	}
}

func TestMaxAgeConfigured(t *testing.T) {
	cfg := mailgunConfig()
	cfg.MaxAge = time.Hour
	ep := newEndpoint(t, mustNew(t, cfg))
	tests := []struct {
		age  time.Duration
		want int
	}{
		{age: 59 * time.Minute, want: 200},
		{age: 61 * time.Minute, want: 401},
	}
	for _, tc := range tests {
		body := mailgunSign(t, readTestdata(t, "mailgun_unsubscribed.json"), mailgunKey, testNow.Add(-tc.age))
		if got := ep.postBytes(t, webhook.ProviderMailgun, body, nil); got.status != tc.want {
			t.Errorf("age %s: status = %d (%v); want %d", tc.age, got.status, got.err, tc.want)
		}
	}
}
