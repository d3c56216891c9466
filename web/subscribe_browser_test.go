package web_test

import (
	"context"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/web"
	"github.com/dispatchhq/dispatch/web/pagemail"
)

// TestSubscribeInChromium is the whole double opt-in in a real browser,
// with the real parts: the hosted form, the confirmation rendered with the
// default layout and sent by the mailer to an SMTP server on 127.0.0.1,
// its link opened, Confirm pressed, and the consent record in the store.
// Every page is checked with axe-core and photographed at 390 and 1280 px.
func TestSubscribeInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 3*time.Minute)
	dir := artifactDir(t)
	smtp := smtptest.NewServer(t)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tokens, _ := subscribers.NewTokens(testSecret)
	l, err := store.CreateList(context.Background(), subscribers.NewList{Name: "briefing", Title: "Northwind Security Briefing", Visibility: subscribers.Public})
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	sender, err := mailer.New(mailer.Config{
		Relays: []mailer.Relay{{Host: smtp.Host(), Port: smtp.Port(), TLS: tlsmode.None, Concurrency: 1, Timeout: 5 * time.Second}},
		From:   "Northwind <briefing@example.com>", BaseURL: base, Tokens: tokens,
	}, store)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := pagemail.New(pagemail.Config{Sender: sender, ConfirmDays: 7,
		Templates: func(list string) templates.Config {
			return templates.Config{PostalAddress: "1 Harbour Street, Leith", ListName: list, From: "Northwind <briefing@example.com>"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	q := web.NewMailQueue(pm.SendMail, 10, nil)
	qctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(qctx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv, err := web.New(web.Config{BaseURL: base, Tokens: tokens, Store: store, SiteName: "Northwind", Mail: q,
		Logger: slog.New(slog.DiscardHandler), Subscribe: web.SubscribeConfig{MinFillTime: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)

	check := func(name string) {
		t.Helper()
		browsertest.CheckAccessibility(t, ctx, name)
		for _, w := range []int{390, 1280} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), 800)); err != nil {
				browsertest.Fatalf(t, ctx, "%v", err)
			}
			screenshot(t, ctx, dir, name+"-"+strconv.Itoa(w), w, false)
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if width > w {
				t.Errorf("%s: scrollWidth %d at %d px; want no sideways scrolling", name, width, w)
			}
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 800),
		colourScheme(false),
		chromedp.Navigate(base+"/subscribe/briefing"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "open the form: %v", err)
	}
	// The honeypot is out of sight and out of the tab order.
	trap, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const r = document.querySelector('#website').getBoundingClientRect(); return r.right + " " + document.querySelector('#website').tabIndex })()`))
	if err != nil || !strings.HasPrefix(trap, "-") || !strings.HasSuffix(trap, " -1") {
		t.Errorf("honeypot position and tab index %q (%v); want off-screen and -1", trap, err)
	}
	check("subscribe-form")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), "ada.lovelace@example.com"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ada Lovelace"),
		chromedp.Sleep(1200*time.Millisecond), // a person takes longer than min_fill_time
	); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("button[type=submit]"))); err != nil {
		browsertest.Fatalf(t, ctx, "submit: %v", err)
	}
	if h1 := browsertest.Text(t, ctx, "h1"); h1 != "Check your inbox" {
		t.Fatalf("after submitting: %q; want Check your inbox", h1)
	}
	check("subscribe-check-inbox")

	mctx, mcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer mcancel()
	msgs, err := smtp.WaitMessages(mctx, 1)
	if err != nil {
		t.Fatalf("no confirmation mail: %v", err)
	}
	link, subject := confirmationLink(t, msgs[0].Data)
	if !strings.HasPrefix(link, base+"/subscribe/confirm/") || !strings.Contains(subject, "Northwind Security Briefing") {
		t.Fatalf("mail %q with link %q; want a confirmation for the list linking to %s", subject, link, base)
	}
	sub := func() subscribers.Subscription {
		s, err := store.FindSubscriberByEmail(context.Background(), "ada.lovelace@example.com")
		if err != nil || len(s.Lists) != 1 {
			t.Fatalf("subscriber: %+v, %v", s, err)
		}
		return s.Lists[0]
	}
	if s := sub(); s.Status != subscribers.Unconfirmed {
		t.Fatalf("before confirming: %s; want unconfirmed", s.Status)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 800), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("button[type=submit]"))); err != nil {
		browsertest.Fatalf(t, ctx, "open the link: %v", err)
	}
	check("subscribe-confirm")
	if s := sub(); s.Status != subscribers.Unconfirmed {
		t.Fatalf("opening the link (GET) confirmed it: %s", s.Status)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("button[type=submit]"))); err != nil {
		browsertest.Fatalf(t, ctx, "confirm: %v", err)
	}
	if h1 := browsertest.Text(t, ctx, "h1"); h1 != "You’re subscribed" {
		t.Fatalf("after confirming: %q", h1)
	}
	check("subscribe-confirmed")
	s := sub()
	if s.Status != subscribers.Subscribed || s.Basis != subscribers.BasisConsent || s.ConsentIP != "127.0.0.0" ||
		!strings.Contains(s.ConsentAgent, "Chrome") || !strings.Contains(s.ConsentText, "Northwind Security Briefing") ||
		s.Source != "form:/subscribe/briefing" || s.ConsentedAt.IsZero() {
		t.Fatalf("consent record %+v; want subscribed on consent, from 127.0.0.0 (truncated), Chrome, the wording, the form", s)
	}
	_ = l
}

var hrefRE = regexp.MustCompile(`href="([^"]*/subscribe/confirm/[^"]+)"`)

// confirmationLink finds the confirmation link in the HTML part of a raw
// message, and returns it with the decoded subject.
func confirmationLink(t *testing.T, raw []byte) (string, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("no HTML part with a confirmation link: %v", err)
		}
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			continue
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := p.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if m := hrefRE.FindStringSubmatch(b.String()); m != nil {
			return strings.ReplaceAll(m[1], "&amp;", "&"), subject
		}
	}
}
