package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

const leaseColumns = `name, host, pid, process, started_at, acquired_at, heartbeat_at, note`

func scanLease(sc interface{ Scan(...any) error }) (*subscribers.Lease, error) {
	var l subscribers.Lease
	var started, acquired, beat string
	if err := sc.Scan(&l.Name, &l.Owner.Host, &l.Owner.PID, &l.Owner.Process, &started, &acquired, &beat, &l.Note); err != nil {
		return nil, err
	}
	l.Owner.Started, l.AcquiredAt, l.HeartbeatAt = parseTime(started), parseTime(acquired), parseTime(beat)
	return &l, nil
}

// FindLease returns the lease of that name, or subscribers.ErrNotFound when no one
// holds it.
func (s *Store) FindLease(ctx context.Context, name string) (*subscribers.Lease, error) {
	l, err := scanLease(s.db.QueryRowContext(ctx, `SELECT `+leaseColumns+` FROM leases WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lease %s: %w", name, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find lease %s: %w", name, err)
	}
	return l, nil
}

// AcquireLease gives the lease to owner, in one transaction: when no one
// holds it, when owner already does, or when the holder is stale as the
// caller judges it (stale is called inside the transaction, so it must be
// quick). Otherwise it returns a *subscribers.LeaseHeldError naming the holder.
func (s *Store) AcquireLease(ctx context.Context, name string, owner subscribers.LeaseOwner, stale func(subscribers.Lease) bool) (*subscribers.Lease, error) {
	var got *subscribers.Lease
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		held, err := scanLease(tx.QueryRowContext(ctx, `SELECT `+leaseColumns+` FROM leases WHERE name = ?`, name))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read lease %s: %w", name, err)
		}
		now := s.now()
		if held != nil && held.Owner.Same(owner) {
			got = held
			return nil
		}
		if held != nil && !stale(*held) {
			return &subscribers.LeaseHeldError{Lease: *held}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (`+leaseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, '')
			ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, process = excluded.process,
				started_at = excluded.started_at, acquired_at = excluded.acquired_at,
				heartbeat_at = excluded.heartbeat_at, note = ''`,
			name, owner.Host, owner.PID, owner.Process, formatTime(owner.Started), formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("take lease %s: %w", name, err)
		}
		got = &subscribers.Lease{Name: name, Owner: owner, AcquiredAt: now, HeartbeatAt: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// leaseOwned is the condition that a lease row is still owner's.
const leaseOwned = `name = ? AND host = ? AND pid = ? AND started_at = ?`

// RenewLease records that owner still holds the lease, with what it waits
// for. It returns subscribers.ErrLeaseLost when another process has taken it over.
func (s *Store) RenewLease(ctx context.Context, name string, owner subscribers.LeaseOwner, note string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE leases SET heartbeat_at = ?, note = ? WHERE `+leaseOwned,
		formatTime(s.now()), note, name, owner.Host, owner.PID, formatTime(owner.Started))
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("renew lease %s: %w", name, subscribers.ErrLeaseLost)
	}
	return nil
}

// ReleaseLease gives the lease up. Releasing a lease owner does not hold
// is not an error: it has nothing to give up.
func (s *Store) ReleaseLease(ctx context.Context, name string, owner subscribers.LeaseOwner) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM leases WHERE `+leaseOwned,
		name, owner.Host, owner.PID, formatTime(owner.Started))
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
