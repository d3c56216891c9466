package campaign_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

const issueV1 = `---
subject: 'Weekly briefing'
id: weekly-1
---
# Weekly briefing

Hello {{ .Name }}.
`

const issueV2 = `---
subject: 'Weekly briefing, corrected'
id: weekly-1
---
# Weekly briefing

Hello {{ .Name }}, corrected.
`

// env is a real store with a list, a real SMTP server on 127.0.0.1 and a
// mailer sending to it.
type env struct {
	store  *sqlite.Store
	srv    *smtptest.Server
	list   *subscribers.List
	sender *mailer.Sender
}

func newEnv(t *testing.T, n int) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.CreateList(ctx, subscribers.NewList{Name: "clients"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := store.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("user%d@example.com", i),
			Name: fmt.Sprintf("User %d", i), Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := store.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.NewServer(t)
	tokens, err := subscribers.NewTokens("test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mailer.New(mailer.Config{
		Relays:        []mailer.Relay{{Host: srv.Host(), Port: srv.Port(), TLS: tlsmode.None, Concurrency: 2, Timeout: 5 * time.Second}},
		From:          "Briefing <briefing@example.com>",
		BounceAddress: "bounces@example.com",
		BaseURL:       "https://news.example.com",
		Tokens:        tokens,
		RetryBackoff:  5 * time.Millisecond,
		MaxAttempts:   3,
	}, store)
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: store, srv: srv, list: list, sender: sender}
}

func (e *env) service(store campaign.Store) *campaign.Service {
	if store == nil {
		store = e.store
	}
	return campaign.New(campaign.Config{Sender: e.sender}, store)
}

func (e *env) draft(t *testing.T, src string) campaign.Draft {
	t.Helper()
	return campaign.Draft{Issue: compile(t, src), Path: "weekly.md", List: e.list}
}

// send prepares, starts and sends a draft, failing the test on any error.
func (e *env) send(t *testing.T, svc *campaign.Service, d campaign.Draft) *campaign.Outcome {
	t.Helper()
	ctx := context.Background()
	p, err := svc.Prepare(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Start(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Send(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compile(t *testing.T, src string) *templates.Compiled {
	t.Helper()
	is, err := templates.ParseIssue("weekly.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := templates.Compile(is, templates.Config{PostalAddress: "1 Test Street, Testville", ListName: "clients"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
