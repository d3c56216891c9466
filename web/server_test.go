package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/web"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := e.get(e.ts.URL + "/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz = %d %q; want 200 \"ok\\n\"", resp.StatusCode, body)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body = e.get(e.ts.URL + "/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database closed = %d %q; want 503", resp.StatusCode, body)
	}
}

// TestAccessLog: one structured line per request, naming the route but
// never the token, which is a credential.
func TestAccessLog(t *testing.T) {
	e := newEnv(t, nil)
	sub := e.addSubscriber("ivy@example.com", "Weekly Digest")
	u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 1)
	tok := u[strings.LastIndex(u, "/")+1:]
	e.get(u)
	e.postForm(u, "List-Unsubscribe=One-Click")
	e.get(e.ts.URL + "/u/" + tok + "/extra")

	logs := e.logs.String()
	for _, want := range []string{
		`msg="http request" method=GET route=/u/{token} status=200`,
		`msg="http request" method=POST route=/u/{token} status=200`,
		`route=unmatched status=404`,
		"ip=127.0.0.1",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q\n%s", want, logs)
		}
	}
	for _, secret := range []string{tok, "ivy@example.com"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q\n%s", secret, logs)
		}
	}
}

// TestOpenRunClose: Open binds at once (a clash is an error), Run serves
// until its context ends and then shuts down cleanly.
func TestOpenRunClose(t *testing.T) {
	e := newEnv(t, nil)
	newServer := func(listen string) *web.Server {
		srv, err := web.New(web.Config{Listen: listen, Tokens: e.tokens, Store: e.store})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := newServer("127.0.0.1:0")
	if srv.Addr() != "" {
		t.Errorf("Addr before Open = %q; want empty", srv.Addr())
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	if _, port, _ := net.SplitHostPort(addr); port == "" || port == "0" {
		t.Fatalf("Addr = %q; want the bound port", addr)
	}
	if err := newServer(addr).Open(); err == nil {
		t.Errorf("second Open on %s succeeded; want an address-in-use error", addr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("healthz over the real listener = %d %q", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Run returned", addr)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name string
		cfg  web.Config
	}{
		{name: "no tokens", cfg: web.Config{Store: e.store}},
		{name: "no store", cfg: web.Config{Tokens: e.tokens}},
		{name: "bad base url", cfg: web.Config{Tokens: e.tokens, Store: e.store, BaseURL: "news.example.com"}},
	}
	for _, tc := range tests {
		if _, err := web.New(tc.cfg); err == nil {
			t.Errorf("%s: New succeeded; want an error", tc.name)
		}
	}
}
