package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// insertEvent appends to the history; every status change goes through here.
func (s *Store) insertEvent(ctx context.Context, q queryer, e subscribers.Event) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO events (subscriber_id, list_id, campaign_id, type, old_status, new_status, actor, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(e.SubscriberID), nullID(e.ListID), nullID(e.CampaignID), e.Type,
		e.OldStatus, e.NewStatus, e.Actor, e.Reason, formatTime(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("record %s event: %w", e.Type, err)
	}
	return nil
}

// Events returns a subscriber's history, oldest first.
func (s *Store) Events(ctx context.Context, subscriberID int64) ([]subscribers.Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, COALESCE(subscriber_id, 0), COALESCE(list_id, 0), COALESCE(campaign_id, 0),
		       type, old_status, new_status, actor, reason, created_at
		FROM events WHERE subscriber_id = ? ORDER BY id`, subscriberID)
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	defer rows.Close()
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]subscribers.Event, error) {
	var out []subscribers.Event
	for rows.Next() {
		var e subscribers.Event
		var created string
		if err := rows.Scan(&e.ID, &e.SubscriberID, &e.ListID, &e.CampaignID, &e.Type,
			&e.OldStatus, &e.NewStatus, &e.Actor, &e.Reason, &created); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.CreatedAt = parseTime(created)
		out = append(out, e)
	}
	return out, rows.Err()
}
