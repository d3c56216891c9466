package webhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dispatchhq/dispatch/bounce/webhook"
)

// testNow is the fixed clock of every test; the samples in testdata are
// dated around it.
var testNow = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// outcome is what the test webhook server saw for one request.
type outcome struct {
	status int
	res    webhook.Result
	err    error
}

// endpoint is a real HTTP server that routes POST /webhooks/{provider} to a
// Verifier, the way `dispatch serve` does, and records each outcome.
type endpoint struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last outcome
}

func newEndpoint(t *testing.T, v *webhook.Verifier) *endpoint {
	t.Helper()
	ep := &endpoint{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{provider}", func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Handle(r.Context(), r.PathValue("provider"), r)
		status := statusFor(err)
		ep.mu.Lock()
		ep.last = outcome{status: status, res: res, err: err}
		ep.mu.Unlock()
		w.WriteHeader(status)
	})
	ep.srv = httptest.NewServer(mux)
	t.Cleanup(ep.srv.Close)
	return ep
}

// statusFor is the one place errors become statuses, as the brief asks of
// the caller.
func statusFor(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, webhook.ErrUnknownProvider):
		return http.StatusNotFound
	case errors.Is(err, webhook.ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, webhook.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, webhook.ErrUnauthorized):
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

// post sends body to /webhooks/provider with the given headers and returns
// what the server saw. A nil body is sent as an empty body.
func (ep *endpoint) post(t *testing.T, provider string, body io.Reader, header http.Header) outcome {
	t.Helper()
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequest(http.MethodPost, ep.srv.URL+"/webhooks/"+provider, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := ep.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", provider, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.last.status != resp.StatusCode {
		t.Fatalf("recorded status %d, response status %d", ep.last.status, resp.StatusCode)
	}
	got := ep.last
	ep.last = outcome{}
	return got
}

func (ep *endpoint) postBytes(t *testing.T, provider string, body []byte, header http.Header) outcome {
	t.Helper()
	return ep.post(t, provider, bytes.NewReader(body), header)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustNew(t testing.TB, cfg webhook.Config) *webhook.Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	v, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// kinds summarises events as "kind email" lines for compact comparisons.
func kinds(events []webhook.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, string(e.Kind)+" "+e.Email)
	}
	return out
}

// ignoreBodyKey leaves Event.BodyKey (a hash of the whole request) out of
// comparisons with hand-written events; TestBodyKey checks it.
var ignoreBodyKey = cmpopts.IgnoreFields(webhook.Event{}, "BodyKey")
