package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// SaveCheckReport stores a report of the deliverability checks under key,
// replacing an older one.
func (s *Store) SaveCheckReport(ctx context.Context, key string, report []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO doctor_cache (key, report, checked_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET report = excluded.report, checked_at = excluded.checked_at`,
		key, string(report), formatTime(at.UTC()))
	if err != nil {
		return fmt.Errorf("save check report: %w", err)
	}
	return nil
}

// FindCheckReport returns the report stored under key and when it was
// made, or ErrNotFound.
func (s *Store) FindCheckReport(ctx context.Context, key string) ([]byte, time.Time, error) {
	var report, at string
	err := s.db.QueryRowContext(ctx, `SELECT report, checked_at FROM doctor_cache WHERE key = ?`, key).Scan(&report, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("check report: %w", subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("find check report: %w", err)
	}
	return []byte(report), parseTime(at), nil
}
