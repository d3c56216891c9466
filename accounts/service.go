package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Defaults for Service fields left zero.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultLifetime    = 12 * time.Hour
)

// Service is what the `dispatch users` commands and the console do with
// accounts. It is safe for concurrent use.
type Service struct {
	Store Store
	// IdleTimeout ends a session not used for this long; Lifetime ends
	// any session this long after login.
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Service) lifetime() time.Duration {
	if s.Lifetime > 0 {
		return s.Lifetime
	}
	return DefaultLifetime
}

// NormalizeEmail trims an address and checks it is one.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") {
		return "", fmt.Errorf("%q is not an email address: %w", email, ErrInvalid)
	}
	return email, nil
}

// AddUser creates an account. It returns ErrExists when the address is
// taken and ErrInvalid (with the rule) for a bad address or password.
func (s *Service) AddUser(ctx context.Context, email, name, password, actor string) (*User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := CheckPasswordRules(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Email: email, Name: strings.TrimSpace(name), PasswordHash: hash, CreatedAt: now, PasswordChangedAt: now}
	if err := s.Store.CreateUser(ctx, u, actor); err != nil {
		return nil, err
	}
	return u, nil
}

// RemoveUser deletes the account with that address and ends its sessions.
func (s *Service) RemoveUser(ctx context.Context, email, actor string) error {
	u, err := s.Store.FindUserByEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		return err
	}
	return s.Store.DeleteUser(ctx, u.ID, actor)
}

// ResetPassword sets a new password for the account with that address and
// ends every session of it.
func (s *Service) ResetPassword(ctx context.Context, email, password, actor string) error {
	if err := CheckPasswordRules(password); err != nil {
		return err
	}
	u, err := s.Store.FindUserByEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, u.ID, hash, s.now(), actor)
}

// ChangePassword is the user changing their own password: the current one
// must be right. Every session of the user ends, this one included.
func (s *Service) ChangePassword(ctx context.Context, u *User, current, next, actor string) error {
	if !CheckPassword(u.PasswordHash, current) {
		return fmt.Errorf("the current password is wrong: %w", ErrBadCredentials)
	}
	if err := CheckPasswordRules(next); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, u.ID, hash, s.now(), actor)
}

// Authenticate checks an address and password. Whatever is wrong, it
// returns ErrBadCredentials, and it does the same work (one argon2id hash)
// for an unknown address as for a known one, so neither the answer nor
// its timing tells whether an account exists.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*User, error) {
	u, err := s.Store.FindUserByEmail(ctx, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	if !CheckPassword(hash, password) || u == nil {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// StartSession creates a session for u at stage and returns its id, which
// only the browser keeps. Every login gets a new id (no fixation).
func (s *Service) StartSession(ctx context.Context, u *User, stage string) (string, *Session, error) {
	id := NewToken()
	now := s.now()
	sess := &Session{IDHash: HashToken(id), UserID: u.ID, CSRFToken: NewToken(), Stage: stage, CreatedAt: now, LastSeenAt: now}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return id, sess, nil
}

// Session finds the live session with id and its user, and records the
// use. It returns ErrSessionExpired for an unknown id or a session past
// its idle timeout or lifetime (deleting the latter).
func (s *Service) Session(ctx context.Context, id string) (*Session, *User, error) {
	if id == "" {
		return nil, nil, ErrSessionExpired
	}
	h := HashToken(id)
	sess, err := s.Store.FindSession(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSessionExpired
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.idle() || now.Sub(sess.CreatedAt) > s.lifetime() {
		if err := s.Store.DeleteSession(ctx, h); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrSessionExpired
	}
	u, err := s.Store.FindUserByID(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSessionExpired
	}
	if err != nil {
		return nil, nil, err
	}
	// Writing on every request would make each page view a write
	// transaction; a minute's precision is plenty for an idle timeout.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.Store.TouchSession(ctx, h, now); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// EndSession deletes the session with id (logout).
func (s *Service) EndSession(ctx context.Context, id string) error {
	return s.Store.DeleteSession(ctx, HashToken(id))
}

// CompleteTwoFactor checks a TOTP code, or a recovery code, for the
// session with id waiting at StageTwoFactor. On success the waiting
// session is replaced by a full one with a new id, which it returns.
func (s *Service) CompleteTwoFactor(ctx context.Context, id, code string, u *User) (string, *Session, error) {
	now := s.now()
	ok := false
	if step, match := MatchTOTP(u.TOTPSecret, code, now); match {
		var err error
		if ok, err = s.Store.UseTOTPStep(ctx, u.ID, step); err != nil {
			return "", nil, err
		}
	}
	if !ok && len(strings.TrimSpace(code)) > 8 {
		var err error
		ok, err = s.Store.UseRecoveryCode(ctx, u.ID, HashToken(NormalizeRecoveryCode(code)), now)
		if err != nil {
			return "", nil, err
		}
	}
	if !ok {
		return "", nil, ErrBadCredentials
	}
	if err := s.Store.DeleteSession(ctx, HashToken(id)); err != nil {
		return "", nil, err
	}
	return s.StartSession(ctx, u, StageFull)
}

// PruneSessions deletes sessions past their idle timeout or lifetime.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	now := s.now()
	return s.Store.DeleteExpiredSessions(ctx, now.Add(-s.idle()), now.Add(-s.lifetime()))
}

// EnableTwoFactor confirms a pending TOTP secret with a code from the
// user's app and stores it with fresh recovery codes, which it returns
// (they are shown once).
func (s *Service) EnableTwoFactor(ctx context.Context, u *User, secret, code, actor string) ([]string, error) {
	step, ok := MatchTOTP(secret, code, s.now())
	if secret == "" || !ok {
		return nil, fmt.Errorf("that code does not match: %w", ErrBadCredentials)
	}
	codes, hashes := NewRecoveryCodes()
	if err := s.Store.SetTwoFactor(ctx, u.ID, secret, hashes, actor); err != nil {
		return nil, err
	}
	// The code that confirmed the set-up is spent too: it must not log in.
	if _, err := s.Store.UseTOTPStep(ctx, u.ID, step); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTwoFactor turns two-factor off; the password must be right.
func (s *Service) DisableTwoFactor(ctx context.Context, u *User, password, actor string) error {
	if !CheckPassword(u.PasswordHash, password) {
		return fmt.Errorf("the password is wrong: %w", ErrBadCredentials)
	}
	return s.Store.SetTwoFactor(ctx, u.ID, "", nil, actor)
}
