package web_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// clock is a settable time for the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mailbox records the mail the queue sends, in order.
type mailbox struct {
	got chan web.Mail
}

func (m *mailbox) SendMail(_ context.Context, mail web.Mail) error {
	m.got <- mail
	return nil
}

// formEnv is a server with the subscribe forms on, a settable clock, a
// running mail queue, and 127.0.0.1 trusted as a proxy so that tests can
// post as any client with X-Forwarded-For.
type formEnv struct {
	*env
	clock *clock
	mail  *mailbox
}

func newFormEnv(t *testing.T, edit func(*web.Config)) *formEnv {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	box := &mailbox{got: make(chan web.Mail, 100)}
	q := web.NewMailQueue(box.SendMail, 100, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e := newEnv(t, func(cfg *web.Config) {
		cfg.Now = c.Now
		cfg.Mail = q
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		cfg.Subscribe.ConsentText = "Yes, send me {list}."
		if edit != nil {
			edit(cfg)
		}
	})
	return &formEnv{env: e, clock: c, mail: box}
}

// list creates a list with a form.
func (f *formEnv) list(name string, optin subscribers.OptIn) *subscribers.List {
	f.t.Helper()
	l, err := f.store.CreateList(context.Background(), subscribers.NewList{Name: name, Title: strings.ToUpper(name[:1]) + name[1:] + " Weekly", OptIn: optin, Visibility: subscribers.Public})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

var stampRE = regexp.MustCompile(`name="stamp" value="([^"]+)"`)

// stamp opens the hosted form and returns its signed time stamp.
func (f *formEnv) stamp(list string) string {
	f.t.Helper()
	resp, body := f.get(f.ts.URL + "/subscribe/" + url.PathEscape(list))
	m := stampRE.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		f.t.Fatalf("GET the form of %s: %d, no stamp in\n%s", list, resp.StatusCode, body)
	}
	return m[1]
}

// subscribe fills in and posts the hosted form as a person would: it
// opens the form, waits, and posts from ip.
func (f *formEnv) subscribe(list, email, ip string) (*http.Response, string) {
	f.t.Helper()
	st := f.stamp(list)
	f.clock.Add(5 * time.Second)
	return f.postAs(list, ip, url.Values{"email": {email}, "name": {"Pat"}, "stamp": {st}, "website": {""}})
}

func (f *formEnv) postAs(list, ip string, v url.Values) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+"/subscribe/"+url.PathEscape(list), strings.NewReader(v.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "FormTest/1.0")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	return f.do(req)
}

// mails returns the mails sent up to and including the next one to
// barrier, which the test arranges to be the last: the queue sends in
// order, so anything queued before it has been sent by then.
func (f *formEnv) mailsUntil(barrier string) []web.Mail {
	f.t.Helper()
	var out []web.Mail
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-f.mail.got:
			out = append(out, m)
			if m.To == barrier {
				return out
			}
		case <-timeout:
			f.t.Fatalf("no mail to %s within 10s; got %+v", barrier, out)
		}
	}
}

// barrier subscribes a fresh address from a fresh client to a double
// opt-in list of its own and returns the mails sent before its
// confirmation.
func (f *formEnv) barrier(string) []web.Mail {
	f.t.Helper()
	list := "barrier"
	if _, err := f.store.FindListByName(context.Background(), list); err != nil {
		f.list(list, subscribers.OptInDouble)
	}
	addr := "barrier-" + strings.ReplaceAll(f.clock.Now().Format("150405.000000000"), ".", "") + "@example.org"
	if resp, body := f.subscribe(list, addr, "198.18.255.1"); resp.StatusCode != http.StatusOK {
		f.t.Fatalf("barrier subscribe: %d\n%s", resp.StatusCode, body)
	}
	ms := f.mailsUntil(addr)
	return ms[:len(ms)-1]
}

func (f *formEnv) subscriptionOf(email string, listID int64) subscribers.Subscription {
	f.t.Helper()
	sub, err := f.store.FindSubscriberByEmail(context.Background(), email)
	if err != nil {
		f.t.Fatalf("find %s: %v", email, err)
	}
	for _, l := range sub.Lists {
		if l.ListID == listID {
			return l
		}
	}
	return subscribers.Subscription{}
}

// sameResponse fails unless two answers are byte-identical in status,
// headers (but Date) and body.
func sameResponse(t *testing.T, what string, a, b *http.Response, bodyA, bodyB string) {
	t.Helper()
	if a.StatusCode != b.StatusCode {
		t.Errorf("%s: status %d vs %d", what, a.StatusCode, b.StatusCode)
	}
	ha, hb := a.Header.Clone(), b.Header.Clone()
	ha.Del("Date")
	hb.Del("Date")
	if len(ha) != len(hb) {
		t.Errorf("%s: headers differ:\n%v\n%v", what, ha, hb)
	}
	for k := range ha {
		if strings.Join(ha[k], "\n") != strings.Join(hb[k], "\n") {
			t.Errorf("%s: header %s: %q vs %q", what, k, ha[k], hb[k])
		}
	}
	if bodyA != bodyB {
		t.Errorf("%s: bodies differ:\n%s\n----\n%s", what, bodyA, bodyB)
	}
}
