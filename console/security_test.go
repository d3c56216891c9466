package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/console"
)

func listNames(t *testing.T, tc *testConsole) []string {
	t.Helper()
	lists, err := tc.store.FindLists(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range lists {
		out = append(out, l.Name)
	}
	return out
}

// TestCSRFRefused: a change without the session's token, with another
// session's token, or from another site is refused and writes nothing.
func TestCSRFRefused(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	other := tc.browser()
	other.login(adminEmail, adminPassword)

	cases := []struct {
		name string
		send func() response
	}{
		{name: "no token", send: func() response { return b.post("/lists", url.Values{"name": {"a"}, "csrf": {""}}) }},
		{name: "wrong token", send: func() response { return b.post("/lists", url.Values{"name": {"b"}, "csrf": {"x" + b.csrf[1:]}}) }},
		{name: "another session's token", send: func() response {
			return b.post("/lists", url.Values{"name": {"c"}, "csrf": {other.csrf}})
		}},
		{name: "cross-site with a valid token", send: func() response {
			form := url.Values{"name": {"d"}, "csrf": {b.csrf}}
			req, _ := http.NewRequest(http.MethodPost, tc.srv.URL+"/lists", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			return b.do(req)
		}},
		{name: "logout without token", send: func() response { return b.post("/logout", url.Values{"csrf": {""}}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b.get("/lists") // a fresh token each time
			r := c.send()
			if r.status != http.StatusForbidden {
				t.Errorf("status %d; want 403\n%s", r.status, mainText(r.body))
			}
		})
	}
	if names := listNames(t, tc); len(names) != 0 {
		t.Errorf("lists created by refused requests: %v", names)
	}
	if r := b.get("/"); r.status != http.StatusOK {
		t.Errorf("the refused logout ended the session: %d", r.status)
	}
	b.get("/lists")
	if r := b.post("/lists", url.Values{"name": {"ok"}}); r.status != http.StatusSeeOther {
		t.Errorf("with the token: %d; want 303", r.status)
	}
}

// TestLoginFormNeedsItsToken: a login posted without the form's
// double-submit token (a login CSRF) is refused.
func TestLoginFormNeedsItsToken(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	r := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "csrf": {"made-up"}})
	if r.status != http.StatusForbidden || b.cookie("dispatch_session") != "" {
		t.Errorf("login without the form's token: %d, session %q; want 403 and none", r.status, b.cookie("dispatch_session"))
	}
}

// TestSessionFixationImpossible: an id planted before login is never
// promoted, and the session a browser had before logging in is ended.
func TestSessionFixationImpossible(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	planted := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	b.setCookie("dispatch_session", planted)
	b.login(adminEmail, adminPassword)
	first := b.cookie("dispatch_session")
	if first == planted || len(first) != 43 {
		t.Fatalf("session id after login = %q; want a new 43-character id", first)
	}
	attacker := tc.browser()
	attacker.setCookie("dispatch_session", planted)
	if r := attacker.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("planted id works after the victim logged in: %d", r.status)
	}
	// Logging in again, while logged in, gives a new id and ends the old.
	r := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "csrf": {b.cookie("dispatch_login")}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("second login: %d", r.status)
	}
	second := b.cookie("dispatch_session")
	if second == first {
		t.Fatal("a second login kept the session id")
	}
	attacker.setCookie("dispatch_session", first)
	if r := attacker.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("the session before the second login still works: %d", r.status)
	}
}

// TestLoginThrottled: after 5 failures an account is refused for 15
// minutes even with the right password, whether or not it exists; after
// 20 failures from one IP every account is.
func TestLoginThrottled(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.get("/login")
	for i := range 5 {
		if r := b.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password"}}); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, r.status)
		}
	}
	r := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed attempts") || r.header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt, right password: %d\n%s", r.status, mainText(r.body))
	}
	if b.cookie("dispatch_session") != "" {
		t.Error("a throttled login set a session")
	}
	tc.clock.Advance(15*time.Minute + time.Second)
	b.login(adminEmail, adminPassword)

	// Per IP: 20 failures spread over addresses block the next address.
	c := tc.browser()
	c.get("/login")
	for i := range 20 {
		c.post("/login", url.Values{"email": {"guess" + string(rune('a'+i)) + "@example.com"}, "password": {"wrong password"}})
	}
	if r := c.post("/login", url.Values{"email": {"someone@example.com"}, "password": {"x"}}); r.status != http.StatusTooManyRequests {
		t.Errorf("after 20 failures from one IP: %d; want 429", r.status)
	}
}

// TestPasswordChangeEndsEverySession: changing the password logs out
// every other session of the user; this browser gets a new one.
func TestPasswordChangeEndsEverySession(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	a, other := tc.browser(), tc.browser()
	a.login(adminEmail, adminPassword)
	other.login(adminEmail, adminPassword)
	before := a.cookie("dispatch_session")
	a.get("/account")
	const next = "a much better passphrase"
	r := a.post("/account/password", url.Values{"current": {adminPassword}, "new": {next}, "confirm": {next}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change: %d\n%s", r.status, mainText(r.body))
	}
	if r := other.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("other session after the password change: %d; want a redirect to log in", r.status)
	}
	if a.cookie("dispatch_session") == before {
		t.Error("the changing browser kept its session id")
	}
	if r := a.get("/account"); r.status != http.StatusOK || !strings.Contains(r.body, "Password changed") {
		t.Errorf("changing browser after the change: %d", r.status)
	}
	tc.browser().login(adminEmail, next)
}

func TestSessionIdleTimeoutAndLifetime(t *testing.T) {
	tc := newTestConsole(t, console.Config{IdleTimeout: 30 * time.Minute, Lifetime: 2 * time.Hour}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	tc.clock.Advance(31 * time.Minute)
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: %d; want a redirect to log in", r.status)
	}
	b.login(adminEmail, adminPassword)
	for range 5 { // active every 25 minutes, past the 2 h lifetime
		tc.clock.Advance(25 * time.Minute)
		b.get("/")
	}
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("2h05 after login: %d; want a redirect to log in", r.status)
	}
}

func TestExpiredSessionPostSaysNothingChanged(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	b.get("/lists")
	tc.clock.Advance(time.Hour)
	r := b.post("/lists", url.Values{"name": {"late"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "nothing was changed") {
		t.Errorf("POST with an expired session: %d\n%s", r.status, mainText(r.body))
	}
	if names := listNames(t, tc); len(names) != 0 {
		t.Errorf("lists after the refused POST: %v", names)
	}
}

// TestNoSecretInPagesOrLogs: neither the password nor the session id
// appears in any page or log line.
func TestNoSecretInPagesOrLogs(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	var pages []string
	b.get("/login")
	pages = append(pages, b.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong " + adminPassword}}).body)
	b.login(adminEmail, adminPassword)
	id := b.cookie("dispatch_session")
	for _, p := range []string{"/", "/lists", "/account", "/nope"} {
		pages = append(pages, b.get(p).body)
	}
	for i, p := range append(pages, tc.logs.String()) {
		for _, secret := range []string{adminPassword, id} {
			if strings.Contains(p, secret) {
				t.Errorf("page or log %d contains %q", i, secret)
			}
		}
	}
	if !strings.Contains(tc.logs.String(), "console request") {
		t.Error("no access log lines were written; the check above proved nothing")
	}
}
