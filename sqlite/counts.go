package sqlite

import (
	"context"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// FindCounts counts subscribers and lists.
func (s *Store) FindCounts(ctx context.Context) (subscribers.Counts, error) {
	var c subscribers.Counts
	err := s.db.QueryRowContext(ctx, `
		SELECT (SELECT COUNT(*) FROM subscribers),
		       (SELECT COUNT(*) FROM subscribers WHERE status = `+sqlActive+`),
		       (SELECT COUNT(*) FROM lists)`).Scan(&c.Subscribers, &c.Active, &c.Lists)
	if err != nil {
		return subscribers.Counts{}, fmt.Errorf("count subscribers and lists: %w", err)
	}
	return c, nil
}
