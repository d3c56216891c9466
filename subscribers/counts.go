package subscribers

import (
	"context"
	"fmt"
)

// Counts sizes up a database at a glance, so a command can say which one
// it opened.
type Counts struct {
	Subscribers int // every subscriber, whatever their status
	Active      int // subscribers who may be mailed
	Lists       int
}

// FindCounts counts subscribers and lists.
func (s *Store) FindCounts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `
		SELECT (SELECT COUNT(*) FROM subscribers),
		       (SELECT COUNT(*) FROM subscribers WHERE status = 'active'),
		       (SELECT COUNT(*) FROM lists)`).Scan(&c.Subscribers, &c.Active, &c.Lists)
	if err != nil {
		return Counts{}, fmt.Errorf("count subscribers and lists: %w", err)
	}
	return c, nil
}
