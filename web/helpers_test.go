package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

const testSecret = "web-test-secret-0123456789"

// env is a real store in a temporary directory behind a real HTTP server.
type env struct {
	t      testing.TB
	store  *sqlite.Store
	tokens *subscribers.Tokens
	srv    *web.Server
	ts     *httptest.Server
	client *http.Client
	logs   *syncBuffer
}

// newEnv starts a server; edit adjusts its Config before New.
func newEnv(t testing.TB, edit func(*web.Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tokens, err := subscribers.NewTokens(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := web.Config{
		BaseURL:  "http://news.example.test",
		Tokens:   tokens,
		Store:    store,
		SiteName: "Security Briefing",
		// The archive renders web versions as `dispatch serve` does.
		RenderIssue: renderWebVersion,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	client := &http.Client{
		// A redirect would be a bug (RFC 8058 forbids one); surface it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &env{t: t, store: store, tokens: tokens, srv: srv, ts: ts, client: client, logs: logs}
}

// addSubscriber adds an active subscriber on lists (created as needed).
func (e *env) addSubscriber(email string, lists ...string) *subscribers.Subscriber {
	e.t.Helper()
	res, err := e.store.AddSubscriber(context.Background(), subscribers.AddInput{Email: email, Lists: lists})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.subscriber(res.Subscriber.ID)
}

func (e *env) subscriber(id int64) *subscribers.Subscriber {
	e.t.Helper()
	sub, err := e.store.FindSubscriberByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

func (e *env) listID(name string) int64 {
	e.t.Helper()
	l, err := e.store.FindListByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.ID
}

// subscription returns the status of subscriber id on list, "" if none.
func (e *env) subscription(id, listID int64) subscribers.SubscriptionStatus {
	e.t.Helper()
	for _, l := range e.subscriber(id).Lists {
		if l.ListID == listID {
			return l.Status
		}
	}
	return ""
}

func (e *env) events(id int64) []subscribers.Event {
	e.t.Helper()
	ev, err := e.store.Events(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// eventsOfType filters a subscriber's history.
func (e *env) eventsOfType(id int64, typ string) []subscribers.Event {
	var out []subscribers.Event
	for _, ev := range e.events(id) {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) unsubscribeURL(subID, listID, campaignID int64) string {
	tok := e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: subID, ListID: listID, CampaignID: campaignID})
	return web.UnsubscribeURL(e.ts.URL, tok)
}

// do sends a request and returns the response with its body read.
func (e *env) do(req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

func (e *env) get(url string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

func (e *env) post(url, contentType string, body io.Reader) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.do(req)
}

func (e *env) postForm(url string, form string) (*http.Response, string) {
	e.t.Helper()
	return e.post(url, "application/x-www-form-urlencoded", strings.NewReader(form))
}

// checkPrivate fails if a response shows any of the addresses, sets a
// cookie or redirects.
func checkPrivate(t *testing.T, resp *http.Response, body string, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		if strings.Contains(strings.ToLower(body), strings.ToLower(a)) {
			t.Errorf("body shows the address %q", a)
		}
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("Set-Cookie = %q; want none", c)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		t.Errorf("status %d (Location %q); want no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// syncBuffer is a log sink the server's goroutines may write concurrently.
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
