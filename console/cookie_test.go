package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/console"
)

// TestSecureCookieBehindHTTPS: with an https base URL the session cookie
// is Secure and __Host- prefixed, besides HttpOnly and SameSite=Strict.
func TestSecureCookieBehindHTTPS(t *testing.T) {
	for _, tc := range []struct {
		base, name string
		secure     bool
	}{
		{base: "", name: "dispatch_session"},
		{base: "https://admin.example.com", name: "__Host-dispatch_session", secure: true},
	} {
		c := newTestConsole(t, console.Config{BaseURL: tc.base}, false)
		b := c.browser()
		b.get("/login")
		form := url.Values{"csrf": {b.csrf}, "email": {adminEmail}, "password": {adminPassword}}
		req, _ := http.NewRequest(http.MethodPost, c.srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.secure {
			// The browser is on the proxy's origin.
			req.Header.Set("Origin", tc.base)
			req.AddCookie(&http.Cookie{Name: "dispatch_login", Value: b.cookie("dispatch_login")})
		}
		r := b.do(req)
		var set string
		for _, h := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(h, tc.name+"=") {
				set = h
			}
		}
		if r.status != http.StatusSeeOther || set == "" {
			t.Fatalf("base %q: login %d, Set-Cookie %q; want a %s cookie", tc.base, r.status, r.header.Values("Set-Cookie"), tc.name)
		}
		for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(set, attr) {
				t.Errorf("base %q: cookie %q lacks %s", tc.base, set, attr)
			}
		}
		if got := strings.Contains(set, "; Secure"); got != tc.secure {
			t.Errorf("base %q: cookie %q Secure = %v; want %v", tc.base, set, got, tc.secure)
		}
	}
}

// TestBaseURLPath: a base URL with a path serves every route under it.
func TestBaseURLPath(t *testing.T) {
	tc := newTestConsole(t, console.Config{BaseURL: "http://127.0.0.1:8081/admin/"}, false)
	b := tc.browser()
	if r := b.get("/admin/lists"); r.status != http.StatusSeeOther || r.location != "/admin/login?next=%2Fadmin%2Flists" {
		t.Fatalf("GET /admin/lists: %d to %q", r.status, r.location)
	}
	b.get("/admin/login")
	r := b.post("/admin/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"/admin/lists"}})
	if r.status != http.StatusSeeOther || r.location != "/admin/lists" {
		t.Fatalf("login: %d to %q", r.status, r.location)
	}
	page := b.get("/admin/lists")
	for _, want := range []string{`href="/admin/static/console.css"`, `action="/admin/lists"`, `action="/admin/logout"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if r := b.get("/lists"); r.status != http.StatusNotFound {
		t.Errorf("GET /lists outside the prefix: %d; want 404", r.status)
	}
}
