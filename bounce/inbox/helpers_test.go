package inbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// The store the command wires in must satisfy the processor's interface.
var _ inbox.Store = (*sqlite.Store)(nil)

const (
	bounceBase = "bounces@bounces.example.com"
	fromDomain = "example.com"
	secret     = "inbox-test-secret-0123456789"
	listName   = "news"
)

// env is a real store in a temporary directory with one list, its
// subscribers and one campaign whose deliveries the fixtures refer to.
type env struct {
	t        testing.TB
	ctx      context.Context
	path     string
	store    *sqlite.Store
	tokens   *subscribers.Tokens
	proc     *inbox.Processor
	logs     *syncBuffer
	listID   int64
	campaign *subscribers.Campaign
	delivery map[string]subscribers.Delivery // by email

	mu  sync.Mutex
	now time.Time
}

var subscriberEmails = []string{
	"ada@example.net", "bob@example.net", "cy@example.net", "dee@example.net", "eve@example.net",
	"fay@example.net", "gus@example.net", "hal@example.net", "ida@example.net", "jo@example.net",
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "dispatch.db"),
		now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), logs: &syncBuffer{}}
	e.openStore()
	for _, email := range subscriberEmails {
		if _, err := e.store.AddSubscriber(e.ctx, subscribers.AddInput{Email: email, Lists: []string{listName}}); err != nil {
			t.Fatalf("add %s: %v", email, err)
		}
	}
	// A second list, so a list-scoped unsubscribe can be told apart from
	// a global one.
	if _, err := e.store.AddSubscriber(e.ctx, subscribers.AddInput{Email: "gus@example.net", Lists: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	l, err := e.store.FindListByName(e.ctx, listName)
	if err != nil {
		t.Fatal(err)
	}
	e.listID = l.ID
	e.campaign, err = e.store.CreateCampaign(e.ctx, subscribers.NewCampaign{
		Slug: "issue-12", ListID: l.ID, Subject: "Issue 12", IssuePath: "issues/12.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := e.store.NextQueued(e.ctx, e.campaign.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	e.delivery = map[string]subscribers.Delivery{}
	for _, d := range ds {
		e.delivery[d.Email] = d
	}
	if len(e.delivery) != len(subscriberEmails) {
		t.Fatalf("campaign has %d deliveries; want %d", len(e.delivery), len(subscriberEmails))
	}
	e.tokens, err = subscribers.NewTokens(secret)
	if err != nil {
		t.Fatal(err)
	}
	e.proc = e.newProcessor(e.store)
	return e
}

// markSent moves the campaign's deliveries to these addresses to "sent",
// as a real send would: they were mailed now.
func (e *env) markSent(emails ...string) {
	e.t.Helper()
	var ops []subscribers.LedgerOp
	for _, email := range emails {
		d, ok := e.delivery[email]
		if !ok {
			e.t.Fatalf("no delivery for %s", email)
		}
		ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: e.listID},
			subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
	}
	res, err := e.store.ApplyLedger(e.ctx, ops)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, r := range res {
		if r != nil {
			e.t.Fatalf("ledger op %d: %v", i, r)
		}
	}
}

// openStore opens (again) the database file with the test clock.
func (e *env) openStore() {
	e.t.Helper()
	s, err := sqlite.Open(e.ctx, e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	s.Now = e.clock
	e.t.Cleanup(func() { s.Close() })
	e.store = s
}

func (e *env) newProcessor(store inbox.Store) *inbox.Processor {
	e.t.Helper()
	p, err := inbox.New(inbox.Config{Store: store, Tokens: e.tokens, BounceAddress: bounceBase,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// clock moves by a millisecond per call so rows get distinct times.
func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(time.Millisecond)
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// vars are the fixture placeholders for a message about email's delivery.
func (e *env) vars(email string) map[string]string {
	e.t.Helper()
	d, ok := e.delivery[email]
	if !ok {
		e.t.Fatalf("no delivery for %s", email)
	}
	tok := e.tokens.Delivery(d.ID)
	unsub := e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: d.SubscriberID, ListID: e.listID, CampaignID: e.campaign.ID})
	verp := subscribers.VERPAddress(bounceBase, tok)
	msgID := tok + "@" + fromDomain
	return map[string]string{
		"EMAIL": email, "RCPT": email, "TOKEN": tok, "VERP": verp, "TO": verp, "MSGID": msgID,
		"ORIG_MSGID": msgID, "ORIG_TOKEN": tok, "UNSUB": subscribers.VERPAddress(bounceBase, "unsub-"+unsub), "N": "1",
	}
}

// fixture reads testdata/name and fills its {{PLACEHOLDERS}}.
func fixture(t testing.TB, name string, vars map[string]string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	out := strings.NewReplacer(pairs...).Replace(string(raw))
	if i := strings.Index(out, "{{"); i >= 0 {
		t.Fatalf("%s: unfilled placeholder at %q", name, out[i:min(len(out), i+20)])
	}
	return []byte(out)
}

func (e *env) process(raw []byte) inbox.Outcome {
	e.t.Helper()
	o, err := e.proc.Process(e.ctx, raw, "test")
	if err != nil {
		e.t.Fatalf("Process: %v", err)
	}
	return o
}

func (e *env) subscriber(email string) *subscribers.Subscriber {
	e.t.Helper()
	s, err := e.store.FindSubscriberByEmail(e.ctx, email)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) status(email string) subscribers.Status {
	e.t.Helper()
	return e.subscriber(email).Status
}

// bounceRow is one row of the bounces table.
type bounceRow struct {
	Kind       string
	CampaignID int64
	DeliveryID int64
	Source     string
}

func (e *env) bounces(email string) []bounceRow {
	e.t.Helper()
	var out []bounceRow
	for _, b := range sqlitetest.Bounces(e.t, e.store, e.subscriber(email).ID) {
		out = append(out, bounceRow{Kind: string(b.Kind), CampaignID: b.CampaignID, DeliveryID: b.DeliveryID, Source: b.Source})
	}
	return out
}

func (e *env) countBounces() int {
	e.t.Helper()
	return len(sqlitetest.Bounces(e.t, e.store, 0))
}

// subscription returns email's subscription status on a list.
func (e *env) subscription(email, list string) subscribers.SubscriptionStatus {
	e.t.Helper()
	for _, l := range e.subscriber(email).Lists {
		if l.List == list {
			return l.Status
		}
	}
	e.t.Fatalf("%s is not on %s", email, list)
	return ""
}

// syncBuffer is a log sink safe for the IMAP tests' goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
