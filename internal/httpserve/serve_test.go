package httpserve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/httpserve"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestOpenServeClose(t *testing.T) {
	srv := httpserve.New(httpserve.Config{
		Name:   "test server",
		Listen: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello")
		}),
	})
	if srv.Addr() != "" {
		t.Fatalf("Addr before Open = %q, want empty", srv.Addr())
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	if code, body := get(t, "http://"+addr+"/"); code != 200 || body != "hello" {
		t.Fatalf("GET = %d %q, want 200 hello", code, body)
	}
	if err := srv.Open(); err == nil || !strings.Contains(err.Error(), "test server is already open") {
		t.Fatalf("second Open = %v, want already open", err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Close", addr)
	}
}

func TestOpenBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := httpserve.New(httpserve.Config{Name: "test server", Listen: ln.Addr().String(), Handler: http.NotFoundHandler()})
	err = srv.Open()
	if err == nil || !strings.Contains(err.Error(), "test server: listen on "+ln.Addr().String()) {
		t.Fatalf("Open on a busy port = %v, want an error naming the server and address", err)
	}
	if err := srv.Run(context.Background()); err == nil {
		t.Fatal("Run on a busy port returned nil")
	}
}

// A request in flight when Close is called gets its answer; Close returns
// once it has.
func TestCloseWaitsForRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := httpserve.New(httpserve.Config{
		Name:   "test server",
		Listen: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "done")
		}),
	})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code int
		body string
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/")
		if err != nil {
			got <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b)}
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- srv.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	case r := <-got:
		t.Fatalf("request answered (%+v) before the handler was released", r)
	default:
	}
	close(release)
	if r := <-got; r.code != 200 || r.body != "done" {
		t.Fatalf("request in flight during Close = %+v, want 200 done", r)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// A request still running when the shutdown's context ends is cut off,
// and Close says so.
func TestCloseCutsOffAtDeadline(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	srv := httpserve.New(httpserve.Config{
		Name:   "test server",
		Listen: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}),
	})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	go func() {
		if resp, err := http.Get("http://" + srv.Addr() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := srv.Close(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "shut down test server") {
		t.Fatalf("Close with an ended context = %v, want shut down test server: context canceled", err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	srv := httpserve.New(httpserve.Config{Name: "test server", Listen: "127.0.0.1:0", Handler: http.NotFoundHandler()})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	if code, _ := get(t, "http://"+addr+"/"); code != http.StatusNotFound {
		t.Fatalf("GET = %d, want 404", code)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Run returned", addr)
	}
}

// The access log has the route pattern, never the path, and the status
// and size the handler wrote.
func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /u/{token}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "abc")
	})
	h := httpserve.AccessLog{
		Logger:   slog.New(slog.NewJSONHandler(&buf, nil)),
		Message:  "test request",
		Now:      func() time.Time { return now },
		ClientIP: func(*http.Request) string { return "192.0.2.1" },
	}.Handler(mux)
	for _, path := range []string{"/u/secret-token", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log has %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if strings.Contains(buf.String(), "secret-token") {
		t.Fatalf("the access log has the path:\n%s", buf.String())
	}
	for i, want := range []struct {
		route  string
		status float64
		bytes  float64
	}{
		{"/u/{token}", 201, 3},
		{"unmatched", 404, float64(len("404 page not found\n"))},
	} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got["msg"] != "test request" || got["method"] != "GET" || got["route"] != want.route ||
			got["status"] != want.status || got["bytes"] != want.bytes || got["ip"] != "192.0.2.1" {
			t.Errorf("line %d = %v, want route %s status %v bytes %v", i, got, want.route, want.status, want.bytes)
		}
	}
}

func TestRecover(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	fail := func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "sorry", http.StatusInternalServerError)
	}
	serve := func(h http.HandlerFunc) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		wrapped := httpserve.AccessLog{
			Logger:   slog.New(slog.DiscardHandler),
			Now:      time.Now,
			ClientIP: func(*http.Request) string { return "" },
		}.Handler(httpserve.Recover(log, "panic in test handler", fail, h))
		wrapped.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		return w
	}

	w := serve(func(http.ResponseWriter, *http.Request) { panic("boom") })
	if w.Code != 500 || !strings.Contains(w.Body.String(), "sorry") {
		t.Errorf("panic before writing: %d %q, want fail's 500", w.Code, w.Body.String())
	}
	if !strings.Contains(buf.String(), "panic in test handler") || !strings.Contains(buf.String(), "boom") {
		t.Errorf("panic not logged: %s", buf.String())
	}

	w = serve(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	})
	if w.Code != http.StatusAccepted || strings.Contains(w.Body.String(), "sorry") {
		t.Errorf("panic after writing: %d %q, want the 202 alone", w.Code, w.Body.String())
	}

	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler: recovered %v, want it to go on", v)
		}
	}()
	serve(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	t.Error("ErrAbortHandler was swallowed")
}

// Background runs while the server is open; Close ends it only once the
// requests in flight are answered, and waits for it to return.
func TestBackgroundOutlivesRequests(t *testing.T) {
	var answered atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	bgStarted := make(chan struct{})
	var sawAnswered, returned atomic.Bool
	srv := httpserve.New(httpserve.Config{
		Name:   "test server",
		Listen: "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "done")
			answered.Store(true)
		}),
		Background: func(ctx context.Context) {
			close(bgStarted)
			<-ctx.Done()
			sawAnswered.Store(answered.Load())
			returned.Store(true)
		},
	})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	<-bgStarted
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/")
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- srv.Close(context.Background()) }()
	close(release)
	if code := <-got; code != 200 {
		t.Fatalf("request in flight = %d, want 200", code)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	if !returned.Load() {
		t.Fatal("Close returned before Background did")
	}
	if !sawAnswered.Load() {
		t.Fatal("Background was stopped before the request in flight was answered")
	}
}
