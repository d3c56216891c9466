package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// withMail gives the server a mail queue that sends through the real
// mailer to a real SMTP server on loopback, with its worker running.
func withMail(t *testing.T, srv **smtptest.Server) func(*web.Config) {
	return func(c *web.Config) {
		*srv = smtptest.NewServer(t)
		sender, err := mailer.New(mailer.Config{
			Relays: []mailer.Relay{{Host: (*srv).Host(), Port: (*srv).Port(), TLS: tlsmode.None, Timeout: 10 * time.Second}},
			From:   "Security Briefing <briefing@example.com>", BaseURL: c.BaseURL, Tokens: c.Tokens,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := web.NewMailQueue(func(ctx context.Context, m web.Mail) error {
			return sender.SendNotice(ctx, mailer.Notice{To: m.To, Subject: m.Subject, Text: m.Text})
		}, 0, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); q.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		c.Mail = q
	}
}

var manageLinkRE = regexp.MustCompile(`http://news\.example\.test/manage/[0-9a-v]+`)

func TestManageRequestAnswersAlikeAndMailsOnlyWhoMayReceive(t *testing.T) {
	var smtp *smtptest.Server
	e := newEnv(t, withMail(t, &smtp))
	e.addSubscriber("ada@example.com", "briefing")
	bob := e.addSubscriber("bob@example.com", "briefing")
	if err := e.store.Suppress(context.Background(), bob.ID, subscribers.StatusBounced, 0, "test", "hard bounce"); err != nil {
		t.Fatal(err)
	}
	carol := e.addSubscriber("carol@example.com", "briefing")
	e.store.Unsubscribe(context.Background(), carol.ID, 0, 0, "test", "")

	resp, form := e.get(e.ts.URL + "/manage")
	if resp.StatusCode != 200 || !strings.Contains(form, `name="email"`) {
		t.Fatalf("GET /manage: %d", resp.StatusCode)
	}
	var first string
	// Unknown and suppressed first: once the later mails arrive, any for
	// them would have too (one worker, in order).
	for i, addr := range []string{"nobody@example.com", "bob@example.com", "ADA@example.com", "carol@example.com",
		"ada@example.com", "ada@example.com", "ada@example.com"} {
		resp, body := e.postForm(e.ts.URL+"/manage", "email="+url.QueryEscape(addr))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /manage %s: %d", addr, resp.StatusCode)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Errorf("the answer for %s differs from the answer for an unknown address", addr)
		}
		checkPrivate(t, resp, body, addr)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := smtp.WaitMessages(wctx, 4)
	if err != nil {
		t.Fatalf("manage mails: %v (%d arrived)", err, len(msgs))
	}
	time.Sleep(300 * time.Millisecond) // a fifth, were there one, would be on its way
	if msgs = smtp.Messages(); len(msgs) != 4 {
		t.Fatalf("%d messages; want 3 for ada (her limit) and 1 for carol", len(msgs))
	}
	got := map[string]int{}
	for _, m := range msgs {
		got[m.To[0]]++
		if !strings.Contains(string(m.Data), "Auto-Submitted: auto-generated") {
			t.Errorf("the manage mail is not marked automatic")
		}
	}
	if got["ada@example.com"] != 3 || got["carol@example.com"] != 1 {
		t.Errorf("mails by recipient = %v", got)
	}
	link := manageLinkRE.FindString(string(msgs[0].Data))
	if link == "" {
		t.Fatalf("no manage link in\n%s", msgs[0].Data)
	}
	resp, page := e.get(strings.Replace(link, "http://news.example.test", e.ts.URL, 1))
	if resp.StatusCode != 200 || !strings.Contains(page, "a•••@example.com") {
		t.Errorf("the mailed link: %d; want the preference page", resp.StatusCode)
	}

	if resp, body := e.postForm(e.ts.URL+"/manage", "email=not-an-address"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Please enter an email address") {
		t.Errorf("malformed address: %d", resp.StatusCode)
	}
}

func (e *env) manageURL(subID int64, expires time.Time) string {
	return e.ts.URL + "/manage/" + e.tokens.Manage(subID, expires)
}

func TestManageLinksExpireAndResistTampering(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.addSubscriber("ada@example.com", "briefing")
	good := e.manageURL(ada.ID, time.Now().Add(time.Hour))
	if resp, _ := e.get(good); resp.StatusCode != 200 {
		t.Fatalf("fresh link: %d", resp.StatusCode)
	}
	b := []byte(good)
	if b[len(b)-3] == 'a' {
		b[len(b)-3] = 'b'
	} else {
		b[len(b)-3] = 'a'
	}
	cases := map[string]struct {
		url  string
		code int
		want string
	}{
		"expired":  {e.manageURL(ada.ID, time.Now().Add(-time.Second)), http.StatusGone, "This link has expired"},
		"tampered": {string(b), http.StatusBadRequest, "This link doesn’t work"},
		"garbage":  {e.ts.URL + "/manage/zzzz", http.StatusBadRequest, "This link doesn’t work"},
		"unsubscribe token": {e.ts.URL + "/manage/" + e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: ada.ID, ListID: time.Now().Add(time.Hour).Unix()}),
			http.StatusBadRequest, "This link doesn’t work"},
	}
	for name, c := range cases {
		resp, body := e.get(c.url)
		if resp.StatusCode != c.code || !strings.Contains(body, c.want) || !strings.Contains(body, `action="/manage"`) {
			t.Errorf("%s: %d; want %d, %q and the form for a fresh link", name, resp.StatusCode, c.code, c.want)
		}
		checkPrivate(t, resp, body, "ada@example.com", "a•••@example.com")
		resp, _ = e.postForm(c.url+"/unsubscribe-all", "confirm=yes")
		if resp.StatusCode == 200 {
			t.Errorf("%s: a change through it answered 200", name)
		}
	}
	if st := e.subscriber(ada.ID).Status; st != subscribers.StatusActive {
		t.Errorf("after bad links: %s; want nothing changed", st)
	}
}

func TestManageChangesTakeAConfirmation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	brief := e.createList("briefing", subscribers.Public)
	alerts := e.createList("alerts", subscribers.Public)
	e.createList("clients", subscribers.Private)
	ada := e.addSubscriber("ada@example.com", "briefing", "clients")
	u := e.manageURL(ada.ID, time.Now().Add(time.Hour))

	_, page := e.get(u)
	for _, want := range []string{`value="` + itoa(brief.ID) + `" checked`, `value="` + itoa(alerts.ID) + `">`, "1 other mailing"} {
		if !strings.Contains(page, want) {
			t.Errorf("preference page lacks %s", want)
		}
	}
	if strings.Contains(page, "clients") {
		t.Errorf("the page names a private list")
	}

	// Swap briefing for alerts: the first POST only asks.
	resp, body := e.postForm(u+"/lists", "list="+itoa(alerts.ID))
	if resp.StatusCode != 200 || !strings.Contains(body, "Start receiving alerts.") || !strings.Contains(body, "Stop receiving briefing.") ||
		!strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("lists without confirm: %d\n%s", resp.StatusCode, body)
	}
	if e.subscription(ada.ID, brief.ID) != subscribers.Subscribed || e.subscription(ada.ID, alerts.ID) != "" {
		t.Fatalf("the first POST changed the subscriptions")
	}
	e.postForm(u+"/lists", "list="+itoa(alerts.ID)+"&confirm=yes")
	if e.subscription(ada.ID, brief.ID) != subscribers.Unsubscribed || e.subscription(ada.ID, alerts.ID) != subscribers.Subscribed {
		t.Errorf("after confirming: briefing %s, alerts %s", e.subscription(ada.ID, brief.ID), e.subscription(ada.ID, alerts.ID))
	}
	// A private list cannot be reached through the form.
	priv, _ := e.store.FindListByName(ctx, "clients")
	e.postForm(u+"/lists", "list="+itoa(alerts.ID)+"&list="+itoa(priv.ID)+"&confirm=yes")
	if e.subscription(ada.ID, priv.ID) != subscribers.Subscribed {
		t.Errorf("the lists form touched a private list")
	}

	resp, body = e.postForm(u+"/name", "name=Ada+King")
	if !strings.Contains(body, "Ada King") || e.subscriber(ada.ID).Name != "" {
		t.Errorf("name without confirm: %d, name now %q", resp.StatusCode, e.subscriber(ada.ID).Name)
	}
	e.postForm(u+"/name", "name=Ada+King&confirm=yes")
	if n := e.subscriber(ada.ID).Name; n != "Ada King" {
		t.Errorf("name after confirming = %q", n)
	}
	if resp, _ := e.postForm(u+"/name", "name="+url.QueryEscape("a\nb")+"&confirm=yes"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a name with a line break: %d; want 400", resp.StatusCode)
	}

	e.postForm(u+"/unsubscribe-all", "")
	if e.subscriber(ada.ID).Status != subscribers.StatusActive {
		t.Errorf("unsubscribe-all without confirm changed the status")
	}
	e.postForm(u+"/unsubscribe-all", "confirm=yes")
	if st := e.subscriber(ada.ID).Status; st != subscribers.StatusUnsubscribed {
		t.Errorf("after unsubscribe-all: %s", st)
	}
	// Choosing a list again brings the person back, on that list only.
	e.postForm(u+"/lists", "list="+itoa(brief.ID)+"&confirm=yes")
	if st := e.subscriber(ada.ID).Status; st != subscribers.StatusActive || e.subscription(ada.ID, brief.ID) != subscribers.Subscribed ||
		e.subscription(ada.ID, alerts.ID) != subscribers.Unsubscribed {
		t.Errorf("rejoining briefing: status %s, briefing %s, alerts %s", st, e.subscription(ada.ID, brief.ID), e.subscription(ada.ID, alerts.ID))
	}

	// Every change is the subscriber's, in the history.
	var mine int
	for _, ev := range e.events(ada.ID) {
		if ev.Actor == "subscriber" {
			mine++
		}
	}
	if mine < 6 {
		t.Errorf("%d events by the subscriber; want every change recorded (%+v)", mine, e.events(ada.ID))
	}
	// A cross-site POST is refused.
	req, _ := http.NewRequest(http.MethodPost, u+"/unsubscribe-all", strings.NewReader("confirm=yes"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := e.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site change: %d; want 403", resp.StatusCode)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestManageExportAndErasure(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.createList("briefing", subscribers.Public)
	ada := e.addSubscriber("ada@example.com", "briefing")
	e.store.UpdateSubscriber(ctx, ada.ID, subscribers.SubscriberUpdate{Name: ptr("Ada Lovelace"), Attributes: map[string]any{"company": "Engines"}}, "admin")
	u := e.manageURL(ada.ID, time.Now().Add(time.Hour))

	resp, body := e.postForm(u+"/export", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="my-data.json"` {
		t.Fatalf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	var x subscribers.DataExport
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, body)
	}
	if x.Profile.Email != "ada@example.com" || x.Profile.Name != "Ada Lovelace" || x.Profile.Attributes["company"] != "Engines" ||
		len(x.Subscriptions) != 1 || x.Subscriptions[0].List != "briefing" || x.Subscriptions[0].Consent.GivenAt.IsZero() ||
		len(x.Events) < 2 {
		t.Errorf("export = %+v", x)
	}

	e.postForm(u+"/delete", "")
	if _, err := e.store.FindSubscriberByID(ctx, ada.ID); err != nil {
		t.Fatalf("delete without confirm erased: %v", err)
	}
	resp, body = e.postForm(u+"/delete", "confirm=yes")
	if resp.StatusCode != 200 || !strings.Contains(body, "Your data is deleted") {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if _, err := e.store.FindSubscriberByEmail(ctx, "ada@example.com"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("after erasure: %v; want the person gone", err)
	}
	// The suppression hash stays: adding the address again does not make
	// it mailable.
	if _, err := e.store.AddSubscriber(ctx, subscribers.AddInput{Email: "ada@example.com", Lists: []string{"briefing"}}); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Errorf("adding the address after erasure: %v; want ErrSuppressed", err)
	}
	if resp, body := e.get(u); resp.StatusCode != 200 || !strings.Contains(body, "Nothing to manage") {
		t.Errorf("the link after erasure: %d", resp.StatusCode)
	}
}

func TestUnsubscribePageLinksToPreferences(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.addSubscriber("ada@example.com", "briefing")
	_, body := e.get(e.unsubscribeURL(ada.ID, e.listID("briefing"), 0))
	m := regexp.MustCompile(`href="(http://news\.example\.test/manage/[0-9a-v]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("unsubscribe page has no manage link:\n%s", body)
	}
	if resp, page := e.get(strings.Replace(m[1], "http://news.example.test", e.ts.URL, 1)); resp.StatusCode != 200 || !strings.Contains(page, "Your subscription") {
		t.Errorf("manage link from the unsubscribe page: %d", resp.StatusCode)
	}
}
