package accounts

import (
	"errors"
	"time"
)

// User is an admin account of the console.
type User struct {
	ID                int64
	Email             string
	Name              string
	PasswordHash      string // argon2id, PHC string format
	TOTPSecret        string // base32; empty when two-factor is off
	RecoveryCodesLeft int    // unused recovery codes, filled by FindUsers
	CreatedAt         time.Time
	PasswordChangedAt time.Time
	LastLoginAt       time.Time // zero: never logged in
}

// TwoFactor reports whether the user logs in with a TOTP code too.
func (u *User) TwoFactor() bool { return u.TOTPSecret != "" }

// Errors callers branch on. A Store returns ErrNotFound and ErrExists.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrBadCredentials is the one answer to a failed login, whatever
	// failed: an unknown address, a wrong password or a wrong code.
	ErrBadCredentials = errors.New("wrong email address or password")
	// ErrSessionExpired means the session is unknown, idle too long or
	// past its absolute lifetime.
	ErrSessionExpired = errors.New("session expired")
	ErrInvalid        = errors.New("invalid")
)

// Event types recorded in the events history for account changes.
const (
	EventUserAdded        = "user_added"
	EventUserRemoved      = "user_removed"
	EventPasswordChanged  = "user_password_changed"
	EventTwoFactorEnabled = "user_2fa_enabled"
	EventTwoFactorRemoved = "user_2fa_disabled"
	EventLogin            = "user_login"
	EventLogout           = "user_logout"
)
