package sqlite

import (
	"context"
	"fmt"
)

// CountAttributes counts, per attribute name, the subscribers a campaign to
// the list would mail now (as CountActiveMembers counts them) who have a
// non-empty value for it. A null or an empty string counts as missing: a
// template prints either as nothing.
//
// It is one aggregate query over the attribute JSON of the list's members,
// so checking an issue against a large list costs one pass over it rather
// than a render per recipient.
func (s *Store) CountAttributes(ctx context.Context, listID int64) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT a.key, count(*)
		FROM subscriptions ss
		JOIN subscribers s ON s.id = ss.subscriber_id,
		     json_each(s.attributes) a
		WHERE ss.list_id = ? AND ss.status = `+sqlSubscribed+` AND s.status = `+sqlActive+`
		  AND a.type <> 'null' AND NOT (a.type = 'text' AND a.atom = '')
		GROUP BY a.key`, listID)
	if err != nil {
		return nil, fmt.Errorf("count attributes of list %d: %w", listID, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count attributes of list %d: %w", listID, err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count attributes of list %d: %w", listID, err)
	}
	return out, nil
}
