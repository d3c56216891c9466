package mailer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

const testSecret = "test-secret-0123456789abcdef"

const testIssue = `---
subject: 'Weekly briefing for {{ .FirstName | default "you" }}'
id: weekly-1
---
# Weekly briefing

*By the desk*

Hello {{ .Name }} from {{ .Attr "company" }}.

## A story

Summary paragraph.

Source: [Outlet](https://outlet.example.com/story)
`

// env is a real store with a list of n subscribers, a campaign for it, and
// a real SMTP server on 127.0.0.1.
type env struct {
	store    *sqlite.Store
	srv      *smtptest.Server
	list     *subscribers.List
	campaign *subscribers.Campaign
	issue    *templates.Compiled
	tokens   *subscribers.Tokens
}

func newEnv(t testing.TB, n int, opts ...smtptest.Option) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for i := range n {
		_, err := store.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("user%d@example.com", i),
			Name: fmt.Sprintf("User %d", i), Lists: []string{"clients"}, Attributes: map[string]any{"company": "Acme"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := store.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	compiled := mustCompile(t, "weekly.md", testIssue, "clients")
	snap, err := json.Marshal(compiled.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, subscribers.NewCampaign{Slug: compiled.ID, ListID: list.ID,
		Subject: compiled.Subject, IssuePath: "weekly.md", Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := subscribers.NewTokens(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: store, srv: smtptest.NewServer(t, opts...), list: list, campaign: c, issue: compiled, tokens: tokens}
}

func (e *env) relay(concurrency int) mailer.Relay {
	return mailer.Relay{Host: e.srv.Host(), Port: e.srv.Port(), TLS: tlsmode.None, Concurrency: concurrency, Timeout: 5 * time.Second}
}

func (e *env) config(relays ...mailer.Relay) mailer.Config {
	if len(relays) == 0 {
		relays = []mailer.Relay{e.relay(4)}
	}
	return mailer.Config{Relays: relays, From: "Briefing <briefing@example.com>", ReplyTo: "desk@example.com",
		BounceAddress: "bounces@example.com", BaseURL: "https://news.example.com", Tokens: e.tokens,
		RetryBackoff: 5 * time.Millisecond, MaxAttempts: 4}
}

func (e *env) run(t testing.TB, ctx context.Context, cfg mailer.Config) (*mailer.RunResult, error) {
	t.Helper()
	s, err := mailer.New(cfg, e.store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StartCampaignRun(ctx, e.campaign.ID); err != nil {
		t.Fatal(err)
	}
	return s.Run(ctx, mailer.Campaign{ID: e.campaign.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue}, nil)
}

func (e *env) stats(t testing.TB) subscribers.CampaignStats {
	t.Helper()
	st, err := e.store.FindCampaignStats(context.Background(), e.campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) delivery(t testing.TB, email string) subscribers.Delivery {
	t.Helper()
	sub, err := e.store.FindSubscriberByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, d := range sqlitetest.Deliveries(t, e.store, e.campaign.ID) {
		if d.SubscriberID == sub.ID {
			id = d.ID
		}
	}
	if id == 0 {
		t.Fatalf("no delivery of campaign %d to %s", e.campaign.ID, email)
	}
	d, err := e.store.FindDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

// mustCompile compiles an issue given as source text.
func mustCompile(tb testing.TB, name, src, list string) *templates.Compiled {
	tb.Helper()
	is, err := templates.ParseIssue(name, []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := templates.Compile(is, templates.Config{PostalAddress: "1 Test Street, Testville", ListName: list})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
