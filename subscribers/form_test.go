package subscribers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestConfirmAndFormTokens(t *testing.T) {
	tk, err := subscribers.NewTokens("form-token-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := subscribers.NewTokens("another-secret-0123456789abc")
	at := time.Unix(1_800_000_000, 0)
	ref := subscribers.ConfirmRef{SubscriberID: 42, ListID: 7, Issued: at}
	tok := tk.Confirm(ref)
	if got, err := tk.ParseConfirm(tok); err != nil || got.SubscriberID != 42 || got.ListID != 7 || !got.Issued.Equal(at) {
		t.Fatalf("ParseConfirm = %+v, %v; want %+v", got, err, ref)
	}
	stamp := tk.FormStamp(7, at)
	if got, err := tk.ParseFormStamp(7, stamp); err != nil || !got.Equal(at) {
		t.Fatalf("ParseFormStamp = %v, %v", got, err)
	}
	tampered := []byte(tok)
	tampered[3] ^= 1
	bad := []struct {
		name  string
		parse func() error
	}{
		{"tampered", func() error { _, err := tk.ParseConfirm(string(tampered)); return err }},
		{"other key", func() error { _, err := other.ParseConfirm(tok); return err }},
		{"unsubscribe token as confirm", func() error {
			_, err := tk.ParseConfirm(tk.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: 42, ListID: 7, CampaignID: at.Unix()}))
			return err
		}},
		{"form stamp as confirm", func() error { _, err := tk.ParseConfirm(stamp); return err }},
		{"stamp of another list", func() error { _, err := tk.ParseFormStamp(8, stamp); return err }},
		{"confirm as stamp", func() error { _, err := tk.ParseFormStamp(42, tok); return err }},
		{"empty stamp", func() error { _, err := tk.ParseFormStamp(7, ""); return err }},
	}
	for _, b := range bad {
		if err := b.parse(); !errors.Is(err, subscribers.ErrInvalidToken) {
			t.Errorf("%s: %v; want ErrInvalidToken", b.name, err)
		}
	}
}

func TestParseBasisAndOptIn(t *testing.T) {
	for in, want := range map[string]subscribers.LawfulBasis{"consent": subscribers.BasisConsent, " Contract ": subscribers.BasisContract,
		"legitimate-interest": subscribers.BasisLegitimateInterest} {
		if got, err := subscribers.ParseBasis(in); err != nil || got != want {
			t.Errorf("ParseBasis(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "legitimate interest", "opt-in"} {
		if _, err := subscribers.ParseBasis(in); !errors.Is(err, subscribers.ErrInvalid) {
			t.Errorf("ParseBasis(%q): %v; want ErrInvalid", in, err)
		}
	}
	for in, want := range map[string]subscribers.OptIn{"single": subscribers.OptInSingle, "DOUBLE": subscribers.OptInDouble} {
		if got, err := subscribers.ParseOptIn(in); err != nil || got != want {
			t.Errorf("ParseOptIn(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := subscribers.ParseOptIn("triple"); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("ParseOptIn(triple): %v; want ErrInvalid", err)
	}
	for st, want := range map[subscribers.Status]bool{subscribers.StatusActive: true, subscribers.StatusUnsubscribed: true,
		subscribers.StatusBounced: false, subscribers.StatusComplained: false, subscribers.StatusBlocklisted: false} {
		if got := st.MaySelfResubscribe(); got != want {
			t.Errorf("%s.MaySelfResubscribe() = %v; want %v", st, got, want)
		}
	}
}
