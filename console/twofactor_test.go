package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/console"
)

// TestTwoFactorLogin: set up TOTP from the account page (QR code and key
// shown, confirmed with a code, recovery codes shown once); then a login
// needs the code after the password, a wrong code is refused, and each
// recovery code works once.
func TestTwoFactorLogin(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	b.get("/account")
	r := b.post("/account/2fa/setup", nil)
	secret := regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || secret == nil || !strings.Contains(r.body, `src="data:image/png;base64,`) {
		t.Fatalf("set-up page: %d\n%s", r.status, mainText(r.body))
	}
	if r := b.post("/account/2fa/enable", url.Values{"code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("enable with a wrong code: %d; want 422", r.status)
	}
	code, _ := accounts.TOTPCode(secret[1], tc.clock.Now())
	enableCode := code
	r = b.post("/account/2fa/enable", url.Values{"code": {code}})
	codes := regexp.MustCompile(`<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>`).FindAllStringSubmatch(r.body, -1)
	if r.status != http.StatusOK || len(codes) != accounts.RecoveryCodeCount {
		t.Fatalf("enable: %d, %d recovery codes\n%s", r.status, len(codes), mainText(r.body))
	}
	if u, _ := tc.store.FindUserByEmail(t.Context(), adminEmail); !u.TwoFactor() {
		t.Fatal("two-factor is not on after enabling")
	}

	loginToCode := func() *browser {
		t.Helper()
		c := tc.browser()
		c.get("/login")
		r := c.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login/code") {
			t.Fatalf("password step: %d to %q; want the code page", r.status, r.location)
		}
		// Half logged in reaches nothing but the code page.
		if r := c.get("/lists"); r.status != http.StatusSeeOther || r.location != "/login/code" {
			t.Errorf("/lists between password and code: %d to %q", r.status, r.location)
		}
		c.get("/login/code")
		return c
	}
	c := loginToCode()
	before := c.cookie("dispatch_session")
	if r := c.post("/login/code", url.Values{"code": {"123456"}}); r.status != http.StatusUnauthorized {
		t.Errorf("wrong code: %d; want 401", r.status)
	}
	tc.clock.Advance(30 * time.Second)
	code, _ = accounts.TOTPCode(secret[1], tc.clock.Now())
	if r := c.post("/login/code", url.Values{"code": {code}}); r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("right code: %d to %q", r.status, r.location)
	}
	if c.cookie("dispatch_session") == before {
		t.Error("the session id did not change after the code step")
	}
	if r := c.get("/lists"); r.status != http.StatusOK {
		t.Errorf("after the code: %d", r.status)
	}
	// A code is accepted once (RFC 6238, 5.2): replayed in its window, by
	// another browser, it fails; so does the code that enabled two-factor.
	for _, replay := range []string{code, enableCode} {
		if r := loginToCode().post("/login/code", url.Values{"code": {replay}}); r.status != http.StatusUnauthorized {
			t.Errorf("a TOTP code used again: %d; want 401", r.status)
		}
	}

	// A recovery code works once.
	rc := strings.ToUpper(codes[0][1])
	d := loginToCode()
	if r := d.post("/login/code", url.Values{"code": {rc}}); r.status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d\n%s", r.status, mainText(r.body))
	}
	e := loginToCode()
	if r := e.post("/login/code", url.Values{"code": {rc}}); r.status != http.StatusUnauthorized {
		t.Errorf("recovery code used twice: %d; want 401", r.status)
	}

	// Turning it off needs the password.
	c.get("/account")
	if r := c.post("/account/2fa/disable", url.Values{"password": {"wrong one"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("disable with a wrong password: %d", r.status)
	}
	if r := c.post("/account/2fa/disable", url.Values{"password": {adminPassword}}); r.status != http.StatusSeeOther {
		t.Errorf("disable: %d", r.status)
	}
	tc.browser().login(adminEmail, adminPassword)
	got := strings.Join(eventsBy(t, tc, "console:"+adminEmail), "|")
	if !strings.Contains(got, "user_2fa_disabled") || !strings.Contains(got, "user_2fa_enabled") {
		t.Errorf("events = %q; want 2fa enabled and disabled", got)
	}
}
