package accounts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := accounts.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the expected parameters", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Error("the hash contains the password")
	}
	h2, _ := accounts.HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{pw: "correct horse battery", want: true},
		{pw: "correct horse batterY", want: false},
		{pw: "", want: false},
	} {
		if got := accounts.CheckPassword(h, tc.pw); got != tc.want {
			t.Errorf("CheckPassword(%q) = %v; want %v", tc.pw, got, tc.want)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "plain"} {
		if accounts.CheckPassword(bad, "x") {
			t.Errorf("CheckPassword accepted malformed hash %q", bad)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want string // "" = valid
	}{
		{pw: "short", want: "5 characters; it must have at least 12"},
		{pw: "elevenchars", want: "at least 12"},
		{pw: "twelve chars"},
		{pw: "ééééééééééé", want: "11 characters"}, // counted in characters, not bytes
		{pw: strings.Repeat("x", 2000), want: "longer than"},
		{pw: "bad utf8 \xff\xfe here", want: "UTF-8"},
	} {
		err := accounts.CheckPasswordRules(tc.pw)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckPasswordRules(%q) = %v; want nil", tc.pw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, accounts.ErrInvalid) {
			t.Errorf("CheckPasswordRules(%.20q) = %v; want ErrInvalid mentioning %q", tc.pw, err, tc.want)
		}
	}
}

func TestTokensAreRandomAndHashed(t *testing.T) {
	a, b := accounts.NewToken(), accounts.NewToken()
	if len(a) != 43 || a == b {
		t.Errorf("tokens %q, %q: want two different 43-character (256-bit) tokens", a, b)
	}
	if h := accounts.HashToken(a); len(h) != 64 || h == a || h != accounts.HashToken(a) {
		t.Errorf("HashToken(%q) = %q", a, h)
	}
}

func TestTOTP(t *testing.T) {
	k, err := accounts.NewTOTPKey("Dispatch Test", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.QRPNG) < 100 || !strings.HasPrefix(string(k.QRPNG[1:4]), "PNG") || !strings.HasPrefix(k.URL, "otpauth://totp/") {
		t.Fatalf("key: url %q, %d bytes of PNG", k.URL, len(k.QRPNG))
	}
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	code, err := accounts.TOTPCode(k.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		code string
		at   time.Time
		want bool
	}{
		{name: "now", code: code, at: now, want: true},
		{name: "with spaces", code: code[:3] + " " + code[3:], at: now, want: true},
		{name: "30 s of drift", code: code, at: now.Add(30 * time.Second), want: true},
		{name: "2 minutes later", code: code, at: now.Add(2 * time.Minute), want: false},
		{name: "wrong", code: "000000", at: now, want: code == "000000"},
	} {
		if got := accounts.CheckTOTP(k.Secret, tc.code, tc.at); got != tc.want {
			t.Errorf("%s: CheckTOTP = %v; want %v", tc.name, got, tc.want)
		}
	}
	again, err := accounts.TOTPKeyFor("Dispatch Test", "ada@example.com", k.Secret)
	if err != nil || again.Secret != k.Secret {
		t.Errorf("TOTPKeyFor: %v, secret %q; want %q", err, again.Secret, k.Secret)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := accounts.NewRecoveryCodes()
	if len(codes) != accounts.RecoveryCodeCount || len(hashes) != len(codes) {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Errorf("code %q: want xxxxx-xxxxx, unique", c)
		}
		seen[c] = true
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if accounts.HashToken(accounts.NormalizeRecoveryCode(typed)) != hashes[i] {
			t.Errorf("typed %q does not match the stored hash of %q", typed, c)
		}
	}
}
