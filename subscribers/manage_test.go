package subscribers

import (
	"errors"
	"testing"
	"time"
)

func TestManageTokenExpiresAndResistsTampering(t *testing.T) {
	tk, _ := NewTokens("manage-test-secret-0123456789")
	other, _ := NewTokens("another-secret-0123456789abc")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tok := tk.Manage(42, now.Add(time.Hour))
	if id, err := tk.ParseManage(tok, now); err != nil || id != 42 {
		t.Fatalf("fresh token: %d, %v", id, err)
	}
	if _, err := tk.ParseManage(tok, now.Add(time.Hour)); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("at expiry: %v; want ErrLinkExpired", err)
	}
	flip := []byte(tok)
	flip[3] ^= 1
	for name, bad := range map[string]string{
		"tampered":     string(flip),
		"other secret": other.Manage(42, now.Add(time.Hour)),
		"unsubscribe":  tk.Unsubscribe(UnsubscribeRef{SubscriberID: 42, ListID: now.Add(time.Hour).Unix()}),
		"archive":      tk.Archive(42),
		"empty":        "",
	} {
		if _, err := tk.ParseManage(bad, now); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v; want ErrInvalidToken", name, err)
		}
	}
	if _, err := tk.ParseArchive(tk.Manage(42, now)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a manage token opened an archive")
	}
	if id, err := tk.ParseArchive(tk.Archive(7)); err != nil || id != 7 {
		t.Errorf("archive key: %d, %v", id, err)
	}
	if got := tk.ArchiveLink("https://n.example/news/", "Weekly brief", "a/b", 7); got != "https://n.example/news/archive/Weekly%20brief/a%2Fb?k="+tk.Archive(7) {
		t.Errorf("ArchiveLink = %q", got)
	}
}
