package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/console"
)

func TestLoginWrongPasswordThenRight(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	if r := b.get("/lists"); r.status != http.StatusSeeOther || r.location != "/login?next=%2Flists" {
		t.Fatalf("GET /lists without a session: %d to %q; want 303 to the login page", r.status, r.location)
	}
	b.get("/login")
	r := b.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password!"}, "next": {"/lists"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong email address or password.") {
		t.Fatalf("wrong password: %d\n%s", r.status, mainText(r.body))
	}
	if b.cookie("dispatch_session") != "" {
		t.Error("a wrong password set a session cookie")
	}
	if strings.Contains(r.body, "wrong password!") {
		t.Error("the page repeats the password typed")
	}
	r = b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"/lists"}})
	if r.status != http.StatusSeeOther || r.location != "/lists" {
		t.Fatalf("right password: %d to %q; want 303 to /lists", r.status, r.location)
	}
	if r := b.get("/lists"); r.status != http.StatusOK || !strings.Contains(r.body, "<h1>Lists</h1>") {
		t.Fatalf("lists after login: %d", r.status)
	}
	u, err := tc.store.FindUserByEmail(t.Context(), adminEmail)
	if err != nil || u.LastLoginAt.IsZero() {
		t.Errorf("last login not recorded: %+v, %v", u, err)
	}
}

// TestLoginDoesNotRevealAccounts: an unknown address and a wrong password
// get the same answer.
func TestLoginDoesNotRevealAccounts(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	answer := func(email string) (int, string) {
		b := tc.browser()
		b.get("/login")
		r := b.post("/login", url.Values{"email": {email}, "password": {"not the password"}})
		return r.status, strings.ReplaceAll(csrfRE.ReplaceAllString(mainText(r.body), ""), email, "EMAIL")
	}
	s1, known := answer(adminEmail)
	s2, unknown := answer("nobody@example.com")
	if s1 != s2 || known != unknown {
		t.Errorf("known account: %d\n%s\nunknown: %d\n%s", s1, known, s2, unknown)
	}
}

func TestNoAccountSaysHowToCreateOne(t *testing.T) {
	tc := newTestConsole(t, console.Config{HowToAddUser: "dispatch users add you@example.com"}, true)
	r := tc.browser().get("/login")
	if r.status != http.StatusOK || !strings.Contains(r.body, "dispatch users add you@example.com") ||
		strings.Contains(r.body, `type="password"`) {
		t.Errorf("login page without accounts: %d\n%s", r.status, mainText(r.body))
	}
}

func TestLogoutRevokesSession(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := b.cookie("dispatch_session")
	r := b.post("/logout", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("logout: %d to %q", r.status, r.location)
	}
	// The old id, replayed by someone who copied it, no longer works.
	thief := tc.browser()
	thief.setCookie("dispatch_session", id)
	if r := thief.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Errorf("old session after logout: %d to %q; want a redirect to the login page", r.status, r.location)
	}
}

func TestSecurityHeaders(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	r := tc.browser().get("/login")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") {
		t.Error("the page has inline script or style, which the CSP forbids")
	}
}

func TestRedirectAfterLoginStaysOnConsole(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "lists"} {
		b := tc.browser()
		b.get("/login")
		r := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {next}})
		if r.location != "/" {
			t.Errorf("next=%q: redirected to %q; want /", next, r.location)
		}
	}
}
