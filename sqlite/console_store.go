package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Store methods the admin console uses beyond those of the CLI.

// RecordEvent appends e to the history. Events are append-only; this is
// for changes that are not a subscriber's status (a list created by an
// admin, say), recorded with the acting user.
func (s *Store) RecordEvent(ctx context.Context, e subscribers.Event) error {
	return s.insertEvent(ctx, s.db, e)
}

// DeleteList deletes the list called name and its subscriptions (the
// subscribers stay, with their other lists and history). It refuses with
// ErrActiveSend while a campaign to the list is sending or paused, and
// with ErrHasCampaigns when finished campaigns refer to it. The deletion
// is recorded as an event by actor.
func (s *Store) DeleteList(ctx context.Context, name, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := findListByName(ctx, tx, name)
		if err != nil {
			return err
		}
		var active, done int
		if err := tx.QueryRowContext(ctx, `SELECT
				count(*) FILTER (WHERE status IN (`+sqlCampaignSending+`, `+sqlCampaignPaused+`)),
				count(*) FILTER (WHERE status NOT IN (`+sqlCampaignSending+`, `+sqlCampaignPaused+`))
			FROM campaigns WHERE list_id = ?`, l.ID).Scan(&active, &done); err != nil {
			return fmt.Errorf("delete list %q: %w", l.Name, err)
		}
		switch {
		case active > 0:
			return fmt.Errorf("delete list %q: %w", l.Name, subscribers.ErrActiveSend)
		case done > 0:
			return fmt.Errorf("delete list %q: %d %w", l.Name, done, subscribers.ErrHasCampaigns)
		}
		var members int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE list_id = ?`, l.ID).Scan(&members); err != nil {
			return fmt.Errorf("delete list %q: %w", l.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lists WHERE id = ?`, l.ID); err != nil {
			return fmt.Errorf("delete list %q: %w", l.Name, err)
		}
		return s.insertEvent(ctx, tx, subscribers.Event{ListID: l.ID, Type: subscribers.EventListDeleted, Actor: actor,
			Reason: fmt.Sprintf("%s (%d subscriptions)", strings.TrimSpace(l.Name), members)})
	})
}

// RecentEvents returns the newest events first, at most limit of them:
// the audit trail of who changed what.
func (s *Store) RecentEvents(ctx context.Context, limit int) ([]subscribers.Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, COALESCE(subscriber_id, 0), COALESCE(list_id, 0), COALESCE(campaign_id, 0),
		       type, old_status, new_status, actor, reason, created_at
		FROM events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find recent events: %w", err)
	}
	defer rows.Close()
	return scanEvents(rows)
}
