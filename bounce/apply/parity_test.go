package apply_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

const (
	secret     = "apply-test-secret-0123456789"
	bounceBase = "bounces@bounces.example.com"
	mailgunKey = "mailgun-signing-key"
	listName   = "news"
)

var hookNow = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// world is a real store in a temporary directory with one list, its
// subscribers, and a campaign whose deliveries to some were sent just now.
type world struct {
	t        *testing.T
	ctx      context.Context
	store    *sqlite.Store
	tokens   *subscribers.Tokens
	campaign int64
	delivery map[string]int64 // by email
}

// Of the subscribers, eve was never mailed: a report naming her without a
// delivery token must change no one.
var (
	mailedEmails = []string{"ada@example.net", "bob@example.net", "cy@example.net", "dee@example.net"}
	allEmails    = append(append([]string(nil), mailedEmails...), "eve@example.net")
)

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), delivery: map[string]int64{}}
	s, err := sqlite.Open(w.ctx, filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w.store = s
	if w.tokens, err = subscribers.NewTokens(secret); err != nil {
		t.Fatal(err)
	}
	for _, email := range allEmails {
		if _, err := s.AddSubscriber(w.ctx, subscribers.AddInput{Email: email, Lists: []string{listName}}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.FindListByName(w.ctx, listName)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCampaign(w.ctx, subscribers.NewCampaign{Slug: "issue-12", ListID: l.ID, Subject: "Issue 12",
		IssuePath: "issues/12.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	w.campaign = c.ID
	ds, err := s.NextQueued(w.ctx, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ops []subscribers.LedgerOp
	for _, d := range ds {
		w.delivery[d.Email] = d.ID
		for _, m := range mailedEmails {
			if m == d.Email {
				ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: l.ID},
					subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
			}
		}
	}
	if _, err := s.ApplyLedger(w.ctx, ops); err != nil {
		t.Fatal(err)
	}
	return w
}

// report is one notification, told both ways: as a message in the bounce
// mailbox and as a Mailgun webhook.
type report struct {
	id    string // makes the notification unique; a repeat reuses it
	kind  string // hard, soft, complaint, refused (about the sender)
	email string
	token string // the delivery token the notification carries; "" none
}

// token kinds for a step.
const (
	real   = "real"   // the delivery's own token
	forged = "forged" // a token Dispatch never issued
)

func (w *world) tokenFor(r report) string {
	switch r.token {
	case real:
		return w.tokens.Delivery(w.delivery[r.email])
	case forged:
		return "a3f9c0ffee0123456789abcdef"
	}
	return ""
}

// mail renders r as a bounce or complaint message.
func (w *world) mail(r report) []byte {
	w.t.Helper()
	tok := w.tokenFor(r)
	verp, msgID := bounceBase, "orig-"+r.id+"@elsewhere.example"
	if tok != "" {
		verp, msgID = subscribers.VERPAddress(bounceBase, tok), tok+"@example.com"
	}
	name := map[string]string{"hard": "postfix-hard.eml", "soft": "postfix-soft.eml", "complaint": "arf-abuse.eml",
		"refused": "postfix-sender-rejected.eml"}[r.kind]
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		w.t.Fatal(err)
	}
	return []byte(strings.NewReplacer("{{VERP}}", verp, "{{RCPT}}", r.email, "{{EMAIL}}", r.email, "{{MSGID}}", msgID,
		"{{TOKEN}}", tok, "{{N}}", r.id).Replace(string(raw)))
}

// mailgun renders r as a signed Mailgun webhook body.
func (w *world) mailgun(r report) string {
	w.t.Helper()
	ev := map[string]any{"id": "ev-" + r.id, "timestamp": float64(hookNow.Unix()), "recipient": r.email}
	switch r.kind {
	case "hard":
		ev["event"], ev["severity"], ev["reason"] = "failed", "permanent", "bounce"
		ev["delivery-status"] = map[string]any{"enhanced-code": "5.1.1", "message": "550 5.1.1 User unknown"}
	case "soft":
		ev["event"], ev["severity"], ev["reason"] = "failed", "temporary", "generic"
		ev["delivery-status"] = map[string]any{"enhanced-code": "4.2.2", "message": "452 4.2.2 Mailbox full"}
	case "complaint":
		ev["event"] = "complained"
	case "refused":
		ev["event"], ev["severity"], ev["reason"] = "failed", "permanent", "espblock"
		ev["delivery-status"] = map[string]any{"enhanced-code": "5.7.1", "message": "554 5.7.1 Sender address rejected: Access denied"}
	}
	if tok := w.tokenFor(r); tok != "" {
		ev["user-variables"] = map[string]any{"dispatch_delivery": tok}
		ev["message"] = map[string]any{"headers": map[string]any{"message-id": tok + "@example.com"}}
	}
	ts := strconv.FormatInt(hookNow.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(mailgunKey))
	mac.Write([]byte(ts + "tok-" + r.id))
	b, err := json.Marshal(map[string]any{
		"signature":  map[string]any{"timestamp": ts, "token": "tok-" + r.id, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": ev,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// outcome is what a sequence of reports did to the store, leaving out
// what names the reader (event actors, bounce sources, diagnostic texts).
type outcome struct {
	Subscribers map[string]subscriberOutcome
	Bounces     subscribers.BounceCounts
	Unattrib    []string // kind and recipients of each unattributed report
}

type subscriberOutcome struct {
	Status subscribers.Status
	Events []string // type and campaign of each bounce or complaint event
}

func (w *world) outcome() outcome {
	w.t.Helper()
	o := outcome{Subscribers: map[string]subscriberOutcome{}}
	for _, email := range allEmails {
		sub, err := w.store.FindSubscriberByEmail(w.ctx, email)
		if err != nil {
			w.t.Fatal(err)
		}
		evs, err := w.store.Events(w.ctx, sub.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		so := subscriberOutcome{Status: sub.Status}
		for _, e := range evs {
			if e.Type == subscribers.EventBounced || e.Type == subscribers.EventComplained {
				so.Events = append(so.Events, fmt.Sprintf("%s campaign=%d", e.Type, e.CampaignID))
			}
		}
		o.Subscribers[email] = so
	}
	var err error
	if o.Bounces, err = w.store.CampaignBounces(w.ctx, w.campaign); err != nil {
		w.t.Fatal(err)
	}
	rs, err := w.store.UnattributedReports(w.ctx, time.Time{}, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range rs {
		o.Unattrib = append(o.Unattrib, fmt.Sprintf("%s %v", r.Kind, r.Addresses))
	}
	return o
}

// TestWebhookAndMailboxApplyAlike sends the same notifications through a
// Mailgun webhook (real HTTP server, real store) and through the bounce
// mailbox processor (another real store seeded alike), and checks after
// every step that both stores hold the same outcome, and that it is the
// policy's: a refusal about the sender charges no one, a hard bounce or a
// complaint suppresses, soft bounces suppress at the limit, a repeat
// changes nothing, and a report tied to no delivery applies only to an
// address mailed recently, else is kept for review.
func TestWebhookAndMailboxApplyAlike(t *testing.T) {
	viaHook, viaMail := newWorld(t), newWorld(t)

	v, err := webhook.New(webhook.Config{Mailgun: webhook.MailgunConfig{SigningKey: mailgunKey},
		Now: func() time.Time { return hookNow }})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Tokens: viaHook.tokens, Store: viaHook.store, Webhooks: v, WebhookRatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	proc, err := inbox.New(inbox.Config{Store: viaMail.store, Tokens: viaMail.tokens, BounceAddress: bounceBase})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name string
		r    report
		want map[string]subscribers.Status // only the subscribers that changed so far
	}{
		{"a refusal about the sender changes no one", report{"0", "refused", "dee@example.net", real}, nil},
		{"hard bounce with a token suppresses", report{"1", "hard", "ada@example.net", real},
			map[string]subscribers.Status{"ada@example.net": subscribers.StatusBounced}},
		{"a repeat changes nothing", report{"1", "hard", "ada@example.net", real}, nil},
		{"first soft bounce counts", report{"2", "soft", "bob@example.net", real}, nil},
		{"second soft bounce counts", report{"3", "soft", "bob@example.net", real}, nil},
		{"third soft bounce suppresses", report{"4", "soft", "bob@example.net", real},
			map[string]subscribers.Status{"bob@example.net": subscribers.StatusBounced}},
		{"complaint with a token suppresses", report{"5", "complaint", "cy@example.net", real},
			map[string]subscribers.Status{"cy@example.net": subscribers.StatusComplained}},
		{"no token, address mailed recently", report{"6", "hard", "dee@example.net", ""},
			map[string]subscribers.Status{"dee@example.net": subscribers.StatusBounced}},
		{"no token, address never mailed", report{"7", "hard", "eve@example.net", ""}, nil},
		{"forged token, address never mailed", report{"8", "complaint", "eve@example.net", forged}, nil},
	}
	want := map[string]subscribers.Status{}
	for _, email := range allEmails {
		want[email] = subscribers.StatusActive
	}
	for _, st := range steps {
		resp, err := http.Post(ts.URL+"/webhooks/mailgun", "application/json", strings.NewReader(viaHook.mailgun(st.r)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: webhook status %d; want 204", st.name, resp.StatusCode)
		}
		if o, err := proc.Process(viaMail.ctx, viaMail.mail(st.r), "step "+st.r.id); err != nil {
			t.Fatalf("%s: Process = %+v, %v", st.name, o, err)
		}

		hook, mail := viaHook.outcome(), viaMail.outcome()
		if !reflect.DeepEqual(hook, mail) {
			t.Fatalf("%s: outcomes differ\nwebhook: %+v\nmailbox: %+v", st.name, hook, mail)
		}
		for email, s := range st.want {
			want[email] = s
		}
		for email, s := range want {
			if got := hook.Subscribers[email].Status; got != s {
				t.Errorf("%s: %s is %q; want %q", st.name, email, got, s)
			}
		}
	}
	final := viaHook.outcome()
	if b := final.Bounces; b.Hard != 1 || b.Soft != 3 || b.Complaints != 1 {
		t.Errorf("campaign bounces = %+v; want 1 hard (ada; dee's has no campaign), 3 soft, 1 complaint", b)
	}
	if got, want := final.Unattrib, []string{"complaint [eve@example.net]", "hard [eve@example.net]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("unattributed reports = %q; want %q", got, want)
	}
}
