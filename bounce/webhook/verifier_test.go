package webhook_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/bounce/webhook"
)

func TestHandleProviders(t *testing.T) {
	// Only Mailgun is configured.
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	body := []byte(`[]`)
	tests := []struct {
		provider   string
		wantErr    error
		wantStatus int
	}{
		{provider: "unknown", wantErr: webhook.ErrUnknownProvider, wantStatus: 404},
		{provider: "SES", wantErr: webhook.ErrUnknownProvider, wantStatus: 404},
		{provider: webhook.ProviderSES, wantErr: webhook.ErrUnknownProvider, wantStatus: 404},
		{provider: webhook.ProviderSendGrid, wantErr: webhook.ErrUnknownProvider, wantStatus: 404},
		{provider: webhook.ProviderPostmark, wantErr: webhook.ErrUnknownProvider, wantStatus: 404},
		{provider: webhook.ProviderMailgun, wantErr: webhook.ErrBadRequest, wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.provider, func(t *testing.T) {
			got := ep.postBytes(t, tc.provider, body, nil)
			if got.status != tc.wantStatus || !errors.Is(got.err, tc.wantErr) {
				t.Errorf("status, err = %d, %v; want %d, %v", got.status, got.err, tc.wantStatus, tc.wantErr)
			}
		})
	}
}

// chunked hides the body's length from the HTTP client, so the request has
// no Content-Length and the limit must hold while reading.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestBodyLimit(t *testing.T) {
	cfg := mailgunConfig()
	cfg.MaxBodyBytes = 1024
	ep := newEndpoint(t, mustNew(t, cfg))
	small := mailgunSign(t, readTestdata(t, "mailgun_unsubscribed.json"), mailgunKey, testNow)
	if len(small) > 1024 {
		t.Fatalf("fixture is %d bytes; the test needs it under the 1024-byte limit", len(small))
	}
	big := append(bytes.Repeat([]byte(" "), 1025-len(small)), small...) // still valid JSON

	tests := []struct {
		name       string
		body       io.Reader
		wantErr    error
		wantStatus int
	}{
		{name: "UnderLimit", body: bytes.NewReader(small), wantStatus: 200},
		{name: "OverLimitContentLength", body: bytes.NewReader(big), wantErr: webhook.ErrBodyTooLarge, wantStatus: 413},
		{name: "OverLimitChunked", body: chunked{bytes.NewReader(big)}, wantErr: webhook.ErrBodyTooLarge, wantStatus: 413},
		{name: "Empty", body: nil, wantErr: webhook.ErrBadRequest, wantStatus: 400},
		{name: "EmptyChunked", body: chunked{strings.NewReader("")}, wantErr: webhook.ErrBadRequest, wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ep.post(t, webhook.ProviderMailgun, tc.body, nil)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d (%v); want %d", got.status, got.err, tc.wantStatus)
			}
			if tc.wantErr != nil && !errors.Is(got.err, tc.wantErr) {
				t.Errorf("err = %v; want %v", got.err, tc.wantErr)
			}
		})
	}
	if !errors.Is(webhook.ErrBodyTooLarge, webhook.ErrBadRequest) {
		t.Error("ErrBodyTooLarge is not an ErrBadRequest")
	}
	if !errors.Is(webhook.ErrStale, webhook.ErrUnauthorized) || !errors.Is(webhook.ErrReplayed, webhook.ErrUnauthorized) {
		t.Error("ErrStale and ErrReplayed must be ErrUnauthorized")
	}
}

func TestDefaultBodyLimitIsOneMiB(t *testing.T) {
	ep := newEndpoint(t, mustNew(t, mailgunConfig()))
	small := mailgunSign(t, readTestdata(t, "mailgun_unsubscribed.json"), mailgunKey, testNow)
	for _, tc := range []struct {
		size int
		want int
	}{
		{size: 1 << 20, want: 200},
		{size: 1<<20 + 1, want: 413},
	} {
		body := append(bytes.Repeat([]byte(" "), tc.size-len(small)), small...)
		if got := ep.postBytes(t, webhook.ProviderMailgun, body, nil); got.status != tc.want {
			t.Errorf("%d-byte body: status = %d (%v); want %d", tc.size, got.status, got.err, tc.want)
		}
	}
}
