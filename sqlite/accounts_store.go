package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/subscribers"
)

// The console's accounts and sessions (accounts.Store). Account events go
// to the events table with no subscriber, list or campaign; the reason
// names the account.

var _ accounts.Store = (*Store)(nil)

const userColumns = `id, email, name, password_hash, totp_secret, created_at, password_changed_at, COALESCE(last_login_at, '')`

func scanUser(sc interface{ Scan(...any) error }) (*accounts.User, error) {
	var u accounts.User
	var created, changed, last string
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.TOTPSecret, &created, &changed, &last); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt, u.LastLoginAt = parseTime(created), parseTime(changed), parseTime(last)
	return &u, nil
}

func (s *Store) accountEvent(ctx context.Context, q queryer, typ, actor, reason string) error {
	return s.insertEvent(ctx, q, subscribers.Event{Type: typ, Actor: actor, Reason: reason})
}

// CreateUser adds an admin account.
func (s *Store) CreateUser(ctx context.Context, u *accounts.User, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM admin_users WHERE email = ?`, u.Email).Scan(&n); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("user %s: %w", u.Email, accounts.ErrExists)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO admin_users (email, name, password_hash, created_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?)`, u.Email, u.Name, u.PasswordHash, formatTime(u.CreatedAt), formatTime(u.PasswordChangedAt))
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		u.ID, _ = res.LastInsertId()
		return s.accountEvent(ctx, tx, accounts.EventUserAdded, actor, u.Email)
	})
}

func findUser(ctx context.Context, q queryer, where string, arg any) (*accounts.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM admin_users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %v: %w", arg, accounts.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// FindUserByEmail returns the account with that address (any case).
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*accounts.User, error) {
	return findUser(ctx, s.db, `email = ?`, strings.TrimSpace(email))
}

// FindUserByID returns the account with that id.
func (s *Store) FindUserByID(ctx context.Context, id int64) (*accounts.User, error) {
	return findUser(ctx, s.db, `id = ?`, id)
}

// FindUsers returns every account, by address, with its unused recovery
// codes counted.
func (s *Store) FindUsers(ctx context.Context) ([]accounts.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+`,
		(SELECT count(*) FROM admin_recovery_codes r WHERE r.user_id = admin_users.id AND r.used_at IS NULL)
		FROM admin_users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var out []accounts.User
	for rows.Next() {
		var left int
		u, err := scanUser(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &left)...) }))
		if err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		u.RecoveryCodesLeft = left
		out = append(out, *u)
	}
	return out, rows.Err()
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// CountUsers counts admin accounts.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM admin_users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// DeleteUser removes an account; its sessions and recovery codes go with it.
func (s *Store) DeleteUser(ctx context.Context, id int64, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_users WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete user %s: %w", u.Email, err)
		}
		return s.accountEvent(ctx, tx, accounts.EventUserRemoved, actor, u.Email)
	})
}

// SetPassword stores a new password hash and ends every session of the user.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, at time.Time, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `id = ?`, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET password_hash = ?, password_changed_at = ? WHERE id = ?`,
			hash, formatTime(at), userID); err != nil {
			return fmt.Errorf("set password of %s: %w", u.Email, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("end sessions of %s: %w", u.Email, err)
		}
		return s.accountEvent(ctx, tx, accounts.EventPasswordChanged, actor, u.Email)
	})
}

// SetTwoFactor stores a TOTP secret (or clears it) and replaces the
// recovery codes.
func (s *Store) SetTwoFactor(ctx context.Context, userID int64, secret string, recoveryHashes []string, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `id = ?`, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET totp_secret = ? WHERE id = ?`, secret, userID); err != nil {
			return fmt.Errorf("set two-factor of %s: %w", u.Email, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("replace recovery codes of %s: %w", u.Email, err)
		}
		for _, h := range recoveryHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO admin_recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
				return fmt.Errorf("store recovery codes of %s: %w", u.Email, err)
			}
		}
		typ := accounts.EventTwoFactorEnabled
		if secret == "" {
			typ = accounts.EventTwoFactorRemoved
		}
		return s.accountEvent(ctx, tx, typ, actor, u.Email)
	})
}

// UseRecoveryCode spends one unused recovery code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE admin_recovery_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, formatTime(at), userID, codeHash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseTOTPStep moves the user's last accepted TOTP step forward, in one
// statement so that two logins racing with the same code cannot both win.
func (s *Store) UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE admin_users SET totp_last_step = ?
		WHERE id = ? AND totp_last_step < ?`, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("use totp code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordLogin notes a successful login.
func (s *Store) RecordLogin(ctx context.Context, userID int64, at time.Time, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `id = ?`, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET last_login_at = ? WHERE id = ?`, formatTime(at), userID); err != nil {
			return fmt.Errorf("record login of %s: %w", u.Email, err)
		}
		return s.accountEvent(ctx, tx, accounts.EventLogin, actor, u.Email)
	})
}

// RecordAccountEvent appends an account event that changes no row.
func (s *Store) RecordAccountEvent(ctx context.Context, typ string, actor, reason string) error {
	return s.accountEvent(ctx, s.db, typ, actor, reason)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess *accounts.Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO admin_sessions (id_hash, user_id, csrf_token, stage, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sess.IDHash, sess.UserID, sess.CSRFToken, sess.Stage,
		formatTime(sess.CreatedAt), formatTime(sess.LastSeenAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// FindSession returns the session whose id hashes to idHash.
func (s *Store) FindSession(ctx context.Context, idHash string) (*accounts.Session, error) {
	var sess accounts.Session
	var created, seen string
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, user_id, csrf_token, stage, pending_totp, created_at, last_seen_at
		FROM admin_sessions WHERE id_hash = ?`, idHash).Scan(&sess.IDHash, &sess.UserID, &sess.CSRFToken, &sess.Stage,
		&sess.PendingTOTP, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is not a secret, but there is no reason to log it.
		return nil, fmt.Errorf("session: %w", accounts.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = parseTime(created), parseTime(seen)
	return &sess, nil
}

// TouchSession records a use of the session.
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE admin_sessions SET last_seen_at = ? WHERE id_hash = ?`, formatTime(at), idHash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// SetPendingTOTP keeps a TOTP secret being set up with the session.
func (s *Store) SetPendingTOTP(ctx context.Context, idHash, secret string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE admin_sessions SET pending_totp = ? WHERE id_hash = ?`, secret, idHash); err != nil {
		return fmt.Errorf("keep pending totp secret: %w", err)
	}
	return nil
}

// DeleteSession ends a session; ending one that does not exist is not an
// error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions idle since before idleBefore or
// created before createdBefore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM admin_sessions WHERE last_seen_at < ? OR created_at < ?`,
		formatTime(idleBefore), formatTime(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
