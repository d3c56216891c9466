package subscribers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestUnsubscribeTokens(t *testing.T) {
	tk, err := subscribers.NewTokens("0123456789abcdef-secret")
	if err != nil {
		t.Fatal(err)
	}
	ref := subscribers.UnsubscribeRef{SubscriberID: 123456, ListID: 7, CampaignID: 42}
	tok := tk.Unsubscribe(ref)
	if strings.ContainsAny(tok, "@+/=") || tok != strings.ToLower(tok) {
		t.Errorf("token %q is not URL- and local-part-safe lower case", tok)
	}
	got, err := tk.ParseUnsubscribe(tok)
	if err != nil || got != ref {
		t.Fatalf("ParseUnsubscribe(%q) = %+v, %v; want %+v", tok, got, err, ref)
	}
	if got, err := tk.ParseUnsubscribe(strings.ToUpper(tok)); err != nil || got != ref {
		t.Errorf("upper-cased token rejected: %v", err)
	}
	other, _ := subscribers.NewTokens("another-secret-of-16+")
	bad := []string{
		"", "zz", tok[:len(tok)-1], tok + "0",
		tok[:5] + string(rune(tok[5]^1)) + tok[6:], // one character flipped
		other.Unsubscribe(ref),                     // other key
		tk.Delivery(123456),                        // other purpose
	}
	for _, b := range bad {
		if _, err := tk.ParseUnsubscribe(b); !errors.Is(err, subscribers.ErrInvalidToken) {
			t.Errorf("ParseUnsubscribe(%q) = %v; want ErrInvalidToken", b, err)
		}
	}
	if _, err := subscribers.NewTokens("short"); err == nil {
		t.Error("short secret accepted")
	}
}

func TestDeliveryTokensAndVERP(t *testing.T) {
	tk, _ := subscribers.NewTokens("0123456789abcdef-secret")
	tag := tk.Delivery(987654321)
	addr := subscribers.VERPAddress("bounces@example.com", tag)
	if addr != "bounces+"+tag+"@example.com" {
		t.Fatalf("VERPAddress = %q", addr)
	}
	got, ok := subscribers.VERPTag("<"+strings.ToUpper(addr[:7])+addr[7:]+">", "bounces@example.com")
	if !ok || got != tag {
		t.Fatalf("VERPTag = %q, %v", got, ok)
	}
	if id, err := tk.ParseDelivery(got); err != nil || id != 987654321 {
		t.Errorf("ParseDelivery = %d, %v", id, err)
	}
	for _, a := range []string{"bounces@example.com", "other+x@example.com", "bounces+x@example.org", "bouncesx+y@example.com"} {
		if tag, ok := subscribers.VERPTag(a, "bounces@example.com"); ok {
			t.Errorf("VERPTag(%q) = %q; want no tag", a, tag)
		}
	}
}

func TestTokensAreASCII(t *testing.T) {
	tk, _ := subscribers.NewTokens("0123456789abcdef-secret")
	var ref subscribers.UnsubscribeRef
	var tok string
	for id := int64(1); !strings.Contains(tok, "k"); id++ {
		ref = subscribers.UnsubscribeRef{SubscriberID: id, ListID: 2}
		tok = tk.Unsubscribe(ref)
	}
	if got, err := tk.ParseUnsubscribe(strings.ToUpper(tok)); err != nil || got != ref {
		t.Fatalf("ParseUnsubscribe(upper case) = %+v, %v; want %+v", got, err, ref)
	}
	for name, bad := range map[string]string{
		"kelvin sign":           strings.Replace(tok, "k", "\u212a", 1),
		"fullwidth k":           strings.Replace(tok, "k", "\uff4b", 1),
		"no-break space":        tok + "\u00a0",
		"trailing nul":          tok + "\x00",
		"upper case and kelvin": strings.Replace(strings.ToUpper(tok), "K", "\u212a", 1),
	} {
		if _, err := tk.ParseUnsubscribe(bad); !errors.Is(err, subscribers.ErrInvalidToken) {
			t.Errorf("%s: ParseUnsubscribe(%q) = %v; want ErrInvalidToken", name, bad, err)
		}
	}

	dtok := ""
	var did int64
	for did = 1; !strings.Contains(dtok, "k"); did++ {
		dtok = tk.Delivery(did)
	}
	if _, err := tk.ParseDelivery(strings.Replace(dtok, "k", "\u212a", 1)); !errors.Is(err, subscribers.ErrInvalidToken) {
		t.Errorf("ParseDelivery with a kelvin sign = %v; want ErrInvalidToken", err)
	}
	if _, ok := subscribers.VERPTag("bounces+x@example.com", "bounces@\u212aexample.com"); ok {
		t.Error("VERPTag matched a base address spelt with a kelvin sign")
	}
	if _, ok := subscribers.VERPTag("BOUNCES+x@EXAMPLE.COM", "bounces@example.com"); !ok {
		t.Error("VERPTag did not fold ASCII case")
	}
}

func TestEqualFoldASCII(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"One-Click", "one-click", true},
		{"ONE-CLICK", "One-Click", true},
		{"One-Clic\u212a", "One-Click", false},
		{"One-Click ", "One-Click", false},
		{"é", "É", false},
		{"", "", true},
	}
	for _, tc := range tests {
		if got := subscribers.EqualFoldASCII(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualFoldASCII(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestFoldToken: two spellings of an issued token fold to one, and a
// look-alike stays apart and does not verify.
func TestFoldToken(t *testing.T) {
	tok, err := subscribers.NewTokens("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	// A token with a k in it, to spell with the look-alike below.
	var issued string
	for id := int64(1); !strings.Contains(issued, "k"); id++ {
		issued = tok.Delivery(id)
	}
	upper := strings.ToUpper(issued)
	if got := subscribers.FoldToken(upper); got != issued {
		t.Errorf("FoldToken(%q) = %q; want the issued %q", upper, got, issued)
	}
	for _, tc := range []struct{ in, want string }{
		{"AbC-9", "abc-9"},
		{"\u212a", "\u212a"},
		{"É", "É"},
		{"", ""},
	} {
		if got := subscribers.FoldToken(tc.in); got != tc.want {
			t.Errorf("FoldToken(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	lookalike := strings.Replace(issued, "k", "\u212a", 1)
	if _, err := tok.ParseDelivery(subscribers.FoldToken(lookalike)); err == nil {
		t.Errorf("%q, a token with KELVIN SIGN for k, verified after FoldToken", lookalike)
	}
}

// TestNewTokensAndCheckSecretShareTheLengthRule: one rule, MinSecretLen,
// for the signer and the configuration check.
func TestNewTokensAndCheckSecretShareTheLengthRule(t *testing.T) {
	short := strings.Repeat("k", subscribers.MinSecretLen-1)
	if _, err := subscribers.NewTokens(short); !errors.Is(err, subscribers.ErrShortSecret) {
		t.Errorf("NewTokens(%d characters) = %v, want ErrShortSecret", len(short), err)
	}
	if err := subscribers.CheckSecret(short); err == nil || !strings.Contains(err.Error(), "shorter than") {
		t.Errorf("CheckSecret(%d characters) = %v, want a refusal for its length", len(short), err)
	}
	if _, err := subscribers.NewTokens(short + "k"); err != nil {
		t.Errorf("NewTokens(%d characters) = %v", subscribers.MinSecretLen, err)
	}
}
