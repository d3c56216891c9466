package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// A campaign is in the archive once it started sending: a scheduled one
// that has not started, or one cancelled before it started, is not.
const archivedWhere = `c.started_at IS NOT NULL`

// FindArchive returns one page of a list's sent issues, newest first,
// without their snapshots (FindCampaignByID has them). offset counts
// issues to skip.
func (s *Store) FindArchive(ctx context.Context, listID int64, offset, limit int) (*subscribers.ArchivePage, error) {
	p := &subscribers.ArchivePage{}
	var updated string
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(max(c.started_at), '') FROM campaigns c
		WHERE c.list_id = ? AND `+archivedWhere, listID).Scan(&p.Total, &updated); err != nil {
		return nil, fmt.Errorf("find archive of list %d: %w", listID, err)
	}
	p.Updated = parseTime(updated)
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.list_id, c.slug, c.started_at FROM campaigns c
		WHERE c.list_id = ? AND `+archivedWhere+` ORDER BY c.started_at DESC, c.id DESC LIMIT ? OFFSET ?`,
		listID, limit+1, max(offset, 0))
	if err != nil {
		return nil, fmt.Errorf("find archive of list %d: %w", listID, err)
	}
	defer rows.Close()
	for rows.Next() {
		is, err := scanArchived(rows)
		if err != nil {
			return nil, fmt.Errorf("find archive of list %d: %w", listID, err)
		}
		p.Issues = append(p.Issues, *is)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find archive of list %d: %w", listID, err)
	}
	if len(p.Issues) > limit {
		p.Issues, p.More = p.Issues[:limit], true
	}
	return p, nil
}

// FindArchivedIssue returns the newest sent campaign of the issue slug to
// a list, without its snapshot, or ErrNotFound.
func (s *Store) FindArchivedIssue(ctx context.Context, listID int64, slug string) (*subscribers.ArchivedIssue, error) {
	is, err := scanArchived(s.db.QueryRowContext(ctx, `SELECT c.id, c.list_id, c.slug, c.started_at
		FROM campaigns c WHERE c.list_id = ? AND c.slug = ? AND `+archivedWhere+`
		ORDER BY c.started_at DESC, c.id DESC LIMIT 1`, listID, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issue %q of list %d: %w", slug, listID, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find issue %q of list %d: %w", slug, listID, err)
	}
	return is, nil
}

func scanArchived(sc interface{ Scan(...any) error }) (*subscribers.ArchivedIssue, error) {
	var is subscribers.ArchivedIssue
	var started string
	if err := sc.Scan(&is.CampaignID, &is.ListID, &is.Slug, &started); err != nil {
		return nil, err
	}
	is.SentAt = parseTime(started)
	return &is, nil
}
