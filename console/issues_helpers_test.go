package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/consolecampaigns"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// issueConsole is a console that sends through an SMTP server on
// 127.0.0.1, wired as `dispatch serve` wires it: campaign.Console over
// the same store, with a mailer of its own for test copies.
type issueConsole struct {
	*testConsole
	smtp *smtptest.Server
	svc  *campaign.Service
}

const testFrom = "Northwind Briefing <briefing@example.com>"

func newIssueConsole(t *testing.T, cfg console.Config, opts ...func(*campaign.Console)) *issueConsole {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)}
	return newIssueConsoleNow(t, cfg, clk.Now, clk, 0, opts...)
}

// newIssueConsoleNow is newIssueConsole with the time from now (the
// store, console and campaign service share it): time.Now for flows that
// wait for the campaign runner. clk, if any, is what now reads. rate, if
// positive, paces the relay in messages per second, so that a browser
// can follow a send. opts change the send use case before the console
// starts.
func newIssueConsoleNow(t *testing.T, cfg console.Config, now func() time.Time, clk *clock, rate float64, opts ...func(*campaign.Console)) *issueConsole {
	t.Helper()
	ctx := context.Background()
	srv := smtptest.NewServer(t)
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = now
	logs := &syncBuffer{}
	tokens, err := subscribers.NewTokens("a-test-secret-that-is-long-enough-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mailer.New(mailer.Config{
		Relays:        []mailer.Relay{{Name: "test-relay", Host: srv.Host(), Port: srv.Port(), TLS: tlsmode.None, Concurrency: 1}},
		Rate:          rate,
		From:          testFrom,
		BounceAddress: "bounces@example.com",
		BaseURL:       "https://news.example.com",
		Tokens:        tokens,
	}, s)
	if err != nil {
		t.Fatal(err)
	}
	svc := campaign.New(campaign.Config{Sender: sender, Owner: subscribers.LeaseOwner{Host: "test", PID: 1, Process: "serve"},
		Now: now}, s)
	cfg.Store, cfg.Now = s, now
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sending := &campaign.Console{Service: svc, Tester: sender, Subscribers: s, Attributes: s}
	for _, o := range opts {
		o(sending)
	}
	cfg.Sending = sending
	cfg.Campaigns = consolecampaigns.New(svc)
	cfg.Issues = templates.Config{PostalAddress: "Northwind LLP, 1 Harbour St, Portsmouth", From: testFrom}
	if _, err := (&accounts.Service{Store: s, Now: now}).AddUser(ctx, adminEmail, "Ada", adminPassword, "test"); err != nil {
		t.Fatal(err)
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(c.Handler())
	t.Cleanup(hs.Close)
	tc := &testConsole{t: t, store: s, srv: hs, clock: clk, logs: logs, cfg: cfg}
	return &issueConsole{testConsole: tc, smtp: srv, svc: svc}
}

// issueLocRE reads the issue id from a redirect to its page.
var issueLocRE = regexp.MustCompile(`^/issues/(\d+)`)

func issueID(t *testing.T, r response) int64 {
	t.Helper()
	m := issueLocRE.FindStringSubmatch(r.location)
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("want a 303 to an issue; got %d to %q\n%s", r.status, r.location, mainText(r.body))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// uploadIssue posts a multipart form: the CSRF token first, then the fields
// in order, then the file.
func (b *browser) uploadIssue(path string, fields [][2]string, fileName string, content []byte) response {
	b.tc.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", b.csrf)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.tc.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}
