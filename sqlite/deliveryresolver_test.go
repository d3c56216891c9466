package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

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

// TestTokensAreASCII: case folding is for ASCII letters only. Unicode
// folding maps U+212A KELVIN SIGN to "k", which would accept a token that
// was never issued.
