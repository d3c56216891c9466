package doctor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CheckOneClick posts an RFC 8058 one-click unsubscribe for a dry-run
// token to web.base_url, urlencoded and as multipart/form-data, the two
// forms mailbox providers use, and asks /healthz. The answer must be 2xx
// with no redirect and no cookie.
func CheckOneClick(ctx context.Context, c *Config) Report {
	var r Report
	if c.OneClickToken == "" || c.BaseURL == "" {
		return r
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	// A redirect is itself the failure: providers do not follow them.
	client := *hc
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := strings.TrimSuffix(c.BaseURL, "/")
	soft := Fail
	if c.Local() {
		soft = Warn
	}
	target := base + "/u/" + url.PathEscape(c.OneClickToken)

	urlencoded := func() (io.Reader, string) {
		return strings.NewReader("List-Unsubscribe=One-Click"), "application/x-www-form-urlencoded"
	}
	multi := func() (io.Reader, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("List-Unsubscribe", "One-Click")
		_ = w.Close()
		return &b, w.FormDataContentType()
	}
	for _, form := range []struct {
		name string
		body func() (io.Reader, string)
	}{{"one-click urlencoded", urlencoded}, {"one-click multipart", multi}} {
		body, ctype := form.body()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
		if err != nil {
			r.add(GroupOneClick, form.name, Fail, err.Error(), "")
			continue
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			r.add(GroupOneClick, form.name, soft, fmt.Sprintf("POST %s: %v", base+"/u/…", err),
				"start `dispatch serve` and make web.base_url reach it")
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			r.add(GroupOneClick, form.name, Fail, fmt.Sprintf("answered %d, a redirect: providers do not follow one", resp.StatusCode),
				"make the proxy in front of `dispatch serve` pass POSTs to /u/ through unchanged")
		case resp.StatusCode/100 != 2:
			r.add(GroupOneClick, form.name, Fail, fmt.Sprintf("answered %s", resp.Status),
				"make web.base_url reach `dispatch serve`, with the same web.secret as `dispatch send`")
		case len(resp.Cookies()) > 0:
			r.add(GroupOneClick, form.name, Fail, "answered with a cookie: RFC 8058 one-click must not depend on cookies",
				"remove cookies the proxy in front of `dispatch serve` adds to /u/")
		default:
			r.ok(GroupOneClick, form.name, fmt.Sprintf("%d, no redirect, no cookie", resp.StatusCode))
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if resp, err := client.Do(req); err != nil {
		r.add(GroupOneClick, "healthz", soft, fmt.Sprintf("GET /healthz: %v", err), "start `dispatch serve`")
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			r.add(GroupOneClick, "healthz", Fail, "GET /healthz answered "+resp.Status, "")
		} else {
			r.ok(GroupOneClick, "healthz", "200")
		}
	}
	return r
}
