package accounts

import (
	"context"
	"time"
)

// Session is a console login, kept server-side. The browser holds only
// the id; the database keeps its hash.
type Session struct {
	IDHash    string
	UserID    int64
	CSRFToken string // per-session token every state-changing form carries
	// Stage is StageFull, or StageTwoFactor while the password was right
	// but the TOTP code is still awaited: such a session reaches only the
	// code page.
	Stage string
	// PendingTOTP is a TOTP secret being set up, not yet confirmed with a
	// code.
	PendingTOTP string
	CreatedAt   time.Time
	LastSeenAt  time.Time
}

// Session stages.
const (
	StageFull      = "full"
	StageTwoFactor = "totp"
)

// Store keeps accounts and sessions. Every method that changes an account
// records an event with actor in the same transaction. Find methods return
// ErrNotFound for a missing row; CreateUser returns ErrExists for an email
// address already taken (compared case-insensitively).
type Store interface {
	CreateUser(ctx context.Context, u *User, actor string) error
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	FindUserByID(ctx context.Context, id int64) (*User, error)
	FindUsers(ctx context.Context) ([]User, error)
	CountUsers(ctx context.Context) (int, error)
	// DeleteUser removes the account and every session of it.
	DeleteUser(ctx context.Context, id int64, actor string) error
	// SetPassword stores a new hash and deletes every session of the user.
	SetPassword(ctx context.Context, userID int64, hash string, at time.Time, actor string) error
	// SetTwoFactor stores the TOTP secret and replaces the recovery codes
	// (their hashes); an empty secret turns two-factor off.
	SetTwoFactor(ctx context.Context, userID int64, secret string, recoveryHashes []string, actor string) error
	// UseRecoveryCode marks an unused recovery code used; false when there
	// is no such unused code.
	UseRecoveryCode(ctx context.Context, userID int64, codeHash string, at time.Time) (bool, error)
	// UseTOTPStep records that the TOTP code of time step step was
	// accepted for the user; false when that step or a later one already
	// was, so a code seen once (over a shoulder, in a proxy's log) cannot
	// be replayed within its window.
	UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error)
	RecordLogin(ctx context.Context, userID int64, at time.Time, actor string) error

	CreateSession(ctx context.Context, s *Session) error
	FindSession(ctx context.Context, idHash string) (*Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	SetPendingTOTP(ctx context.Context, idHash, secret string) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpiredSessions removes sessions last seen before idleBefore or
	// created before createdBefore.
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error)
	// RecordEvent appends an account event (logout, …) that changes no row.
	RecordAccountEvent(ctx context.Context, typ, actor, reason string) error
}
