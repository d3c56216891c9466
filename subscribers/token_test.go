package subscribers_test

import (
	"context"
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

func TestDeliveryResolver(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	tk, _ := subscribers.NewTokens("0123456789abcdef-secret")
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "r@example.com", Lists: []string{"news"}}); err != nil {
		t.Fatal(err)
	}
	l, _ := s.FindListByName(ctx, "news")
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "x", ListID: l.ID, Subject: "s", IssuePath: "x", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := s.NextQueued(ctx, c.ID, 0, 10)
	d := ds[0]
	r := subscribers.DeliveryResolver{Store: s, Tokens: tk}
	tok := tk.Delivery(d.ID)
	for _, tc := range []struct{ header, msgID string }{
		{tok, ""},
		{"", "<" + tok + "@example.com>"},
		{"forged", tok + "@example.com"},
	} {
		sub, camp, list, err := r.ResolveDelivery(ctx, tc.header, tc.msgID)
		if err != nil || sub != d.SubscriberID || camp != c.ID || list != l.ID {
			t.Errorf("ResolveDelivery(%q, %q) = %d %d %d %v; want %d %d %d", tc.header, tc.msgID, sub, camp, list, err, d.SubscriberID, c.ID, l.ID)
		}
	}
	if _, _, _, err := r.ResolveDelivery(ctx, "forged", "<someone-else@example.org>"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("unknown ids: %v; want ErrNotFound", err)
	}
	if got := subscribers.UnsubscribeURL("https://news.example.com/", "abc"); got != "https://news.example.com/u/abc" {
		t.Errorf("UnsubscribeURL = %q", got)
	}
}
