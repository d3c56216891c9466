package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
)

func TestUsersAndSessions(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	u := &accounts.User{Email: "Ada@Example.com", Name: "Ada", PasswordHash: "h1", CreatedAt: at, PasswordChangedAt: at}
	if err := s.CreateUser(ctx, u, "cli:root"); err != nil || u.ID == 0 {
		t.Fatalf("CreateUser: %v, id %d", err, u.ID)
	}
	dup := &accounts.User{Email: "ada@example.COM", PasswordHash: "h", CreatedAt: at, PasswordChangedAt: at}
	if err := s.CreateUser(ctx, dup, "cli:root"); !errors.Is(err, accounts.ErrExists) {
		t.Errorf("CreateUser with the address in other case = %v; want ErrExists", err)
	}
	got, err := s.FindUserByEmail(ctx, "ADA@example.com")
	if err != nil || got.ID != u.ID || got.Name != "Ada" || !got.CreatedAt.Equal(at) || !got.LastLoginAt.IsZero() {
		t.Fatalf("FindUserByEmail = %+v, %v", got, err)
	}
	if _, err := s.FindUserByEmail(ctx, "bob@example.com"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("unknown user: %v; want ErrNotFound", err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v", n, err)
	}

	sess := func(id string) *accounts.Session {
		return &accounts.Session{IDHash: accounts.HashToken(id), UserID: u.ID, CSRFToken: "c-" + id, Stage: accounts.StageFull, CreatedAt: at, LastSeenAt: at}
	}
	for _, id := range []string{"one", "two"} {
		if err := s.CreateSession(ctx, sess(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchSession(ctx, accounts.HashToken("one"), at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	one, err := s.FindSession(ctx, accounts.HashToken("one"))
	if err != nil || one.CSRFToken != "c-one" || !one.LastSeenAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("FindSession = %+v, %v", one, err)
	}
	// Expired: "two" was last seen at `at`, "one" an hour later.
	if n, err := s.DeleteExpiredSessions(ctx, at.Add(time.Minute), at.Add(-time.Hour)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1 (two)", n, err)
	}
	if err := s.CreateSession(ctx, sess("three")); err != nil {
		t.Fatal(err)
	}
	// A new password ends every session of the user.
	if err := s.SetPassword(ctx, u.ID, "h2", at.Add(2*time.Hour), "console:ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"one", "three"} {
		if _, err := s.FindSession(ctx, accounts.HashToken(id)); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("session %s after a password change: %v; want ErrNotFound", id, err)
		}
	}

	// Two-factor, and a recovery code spent once.
	h := accounts.HashToken("abcde-fghij")
	if err := s.SetTwoFactor(ctx, u.ID, "SECRET", []string{h, accounts.HashToken("other")}, "console:ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if ok, err := s.UseRecoveryCode(ctx, u.ID, h, at); err != nil || ok != want {
			t.Errorf("UseRecoveryCode #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	// A TOTP code's time step is accepted once, and never an earlier one.
	for _, c := range []struct {
		step int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		if ok, err := s.UseTOTPStep(ctx, u.ID, c.step); err != nil || ok != c.want {
			t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", c.step, ok, err, c.want)
		}
	}
	users, err := s.FindUsers(ctx)
	if err != nil || len(users) != 1 || users[0].TOTPSecret != "SECRET" || users[0].RecoveryCodesLeft != 1 || users[0].PasswordHash != "h2" {
		t.Fatalf("FindUsers = %+v, %v", users, err)
	}
	if err := s.RecordLogin(ctx, u.ID, at.Add(3*time.Hour), "console:ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sess("four")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID, "cli:root"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(ctx, accounts.HashToken("four")); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("session of a removed user: %v", err)
	}

	evs, err := s.RecentEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got2 []string
	for _, e := range evs {
		got2 = append(got2, e.Type+" by "+e.Actor+" ("+e.Reason+")")
	}
	want := []string{
		"user_removed by cli:root (Ada@Example.com)",
		"user_login by console:ada@example.com (Ada@Example.com)",
		"user_2fa_enabled by console:ada@example.com (Ada@Example.com)",
		"user_password_changed by console:ada@example.com (Ada@Example.com)",
		"user_added by cli:root (Ada@Example.com)",
	}
	if len(got2) != len(want) {
		t.Fatalf("events = %q; want %q", got2, want)
	}
	for i := range want {
		if got2[i] != want[i] {
			t.Errorf("event %d = %q; want %q", i, got2[i], want[i])
		}
	}
}
