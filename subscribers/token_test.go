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
