package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestResubscribeRefusesCrossSite: the resubscribe POST is only taken from
// our own page. A browser's cross-site POST (told by Sec-Fetch-Site, or by
// Origin when that is missing) is refused and changes nothing. The
// one-click unsubscribe POST, cross-site by nature, is not affected.
func TestResubscribeRefusesCrossSite(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{name: "cross-site", headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, want: http.StatusForbidden},
		{name: "same-site", headers: map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://other.news.example.test"}, want: http.StatusForbidden},
		{name: "foreign origin, no sec-fetch-site", headers: map[string]string{"Origin": "https://evil.example"}, want: http.StatusForbidden},
		{name: "null origin", headers: map[string]string{"Origin": "null"}, want: http.StatusForbidden},
		{name: "same-origin", headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: http.StatusOK},
		// Behind a proxy the Host is the backend's; the public origin is BaseURL's.
		{name: "public origin behind a proxy", headers: map[string]string{"Origin": "http://news.example.test"}, want: http.StatusOK},
		{name: "not a browser", want: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			sub := e.addSubscriber("gail@example.com", "Weekly Digest")
			list := e.listID("Weekly Digest")
			u := e.unsubscribeURL(sub.ID, list, 0)

			// One-click from a mail provider: cross-site, and applied.
			req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://mail.example.net")
			if resp, body := e.do(req); resp.StatusCode != http.StatusOK {
				t.Fatalf("cross-site one-click: status %d; want 200\n%s", resp.StatusCode, body)
			}
			if got := e.subscription(sub.ID, list); got != subscribers.Unsubscribed {
				t.Fatalf("after one-click: %q; want unsubscribed", got)
			}

			req, _ = http.NewRequest(http.MethodPost, u+"/resubscribe", strings.NewReader("scope=list"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, body := e.do(req)
			if resp.StatusCode != tc.want {
				t.Fatalf("resubscribe: status %d; want %d\n%s", resp.StatusCode, tc.want, body)
			}
			want := subscribers.Subscribed
			if tc.want == http.StatusForbidden {
				want = subscribers.Unsubscribed
				if !strings.Contains(body, "This request came from another site") {
					t.Errorf("refusal page does not say why\n%s", body)
				}
				checkPrivate(t, resp, body, "gail@example.com")
			}
			if got := e.subscription(sub.ID, list); got != want {
				t.Errorf("subscription after resubscribe = %q; want %q", got, want)
			}
		})
	}
}
