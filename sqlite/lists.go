package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// CreateList creates a list. It returns ErrExists if the name is taken
// (names compare case-insensitively) and ErrInvalid for a bad name or title.
func (s *Store) CreateList(ctx context.Context, nl subscribers.NewList) (*subscribers.List, error) {
	nl.Name, nl.Title = strings.TrimSpace(nl.Name), strings.TrimSpace(nl.Title)
	if err := subscribers.ValidateListName(nl.Name); err != nil {
		return nil, err
	}
	if err := subscribers.ValidateListTitle(nl.Title); err != nil {
		return nil, err
	}
	if nl.Visibility == "" {
		nl.Visibility = subscribers.Private
	}
	if _, err := subscribers.ParseVisibility(string(nl.Visibility)); err != nil {
		return nil, err
	}
	var l *subscribers.List
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := findListByName(ctx, tx, nl.Name); err == nil {
			return fmt.Errorf("list %q: %w", nl.Name, subscribers.ErrExists)
		} else if !errors.Is(err, subscribers.ErrNotFound) {
			return err
		}
		var err error
		l, err = s.createList(ctx, tx, nl)
		return err
	})
	return l, err
}

func (s *Store) createList(ctx context.Context, tx *sql.Tx, nl subscribers.NewList) (*subscribers.List, error) {
	now := s.now()
	if nl.Visibility == "" {
		nl.Visibility = subscribers.Private
	}
	if nl.OptIn == "" {
		nl.OptIn = subscribers.OptInDouble
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO lists (name, title, description, visibility, created_at, optin) VALUES (?, ?, ?, ?, ?, ?)`,
		nl.Name, nl.Title, nl.Description, nl.Visibility, formatTime(now), nl.OptIn)
	if err != nil {
		return nil, fmt.Errorf("create list %q: %w", nl.Name, err)
	}
	id, _ := res.LastInsertId()
	return &subscribers.List{ID: id, Name: nl.Name, Title: nl.Title, Description: nl.Description,
		Visibility: nl.Visibility, CreatedAt: now, OptIn: nl.OptIn}, nil
}

// ensureList finds a list by name, creating it when missing.
func (s *Store) ensureList(ctx context.Context, tx *sql.Tx, name string) (*subscribers.List, bool, error) {
	name = strings.TrimSpace(name)
	if err := subscribers.ValidateListName(name); err != nil {
		return nil, false, err
	}
	l, err := findListByName(ctx, tx, name)
	if err == nil {
		return l, false, nil
	}
	if !errors.Is(err, subscribers.ErrNotFound) {
		return nil, false, err
	}
	l, err = s.createList(ctx, tx, subscribers.NewList{Name: name})
	return l, err == nil, err
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func findListByName(ctx context.Context, q queryer, name string) (*subscribers.List, error) {
	var l subscribers.List
	var created string
	err := q.QueryRowContext(ctx, `SELECT id, name, title, description, visibility, created_at, optin FROM lists WHERE name = ?`,
		strings.TrimSpace(name)).Scan(&l.ID, &l.Name, &l.Title, &l.Description, &l.Visibility, &created, &l.OptIn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list %q: %w", name, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find list %q: %w", name, err)
	}
	l.CreatedAt = parseTime(created)
	return &l, nil
}

// FindListByName returns the list with that name or ErrNotFound.
func (s *Store) FindListByName(ctx context.Context, name string) (*subscribers.List, error) {
	return findListByName(ctx, s.db, name)
}

// FindListByID returns the list with that id or ErrNotFound.
func (s *Store) FindListByID(ctx context.Context, id int64) (*subscribers.List, error) {
	var l subscribers.List
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, title, description, visibility, created_at, optin FROM lists WHERE id = ?`, id).
		Scan(&l.ID, &l.Name, &l.Title, &l.Description, &l.Visibility, &created, &l.OptIn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find list %d: %w", id, err)
	}
	l.CreatedAt = parseTime(created)
	return &l, nil
}

// FindLists returns every list with its member counts, ordered by name.
// The counts are kept by triggers (migration 0012), so this costs the same
// at a million subscribers as at ten.
func (s *Store) FindLists(ctx context.Context) ([]subscribers.List, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT l.id, l.name, l.title, l.description, l.visibility, l.created_at, l.optin,
		       COALESCE(c.subscribed, 0), COALESCE(c.unsubscribed, 0), COALESCE(c.active, 0)
		FROM lists l
		LEFT JOIN list_counts c ON c.list_id = l.id
		ORDER BY l.name`)
	if err != nil {
		return nil, fmt.Errorf("find lists: %w", err)
	}
	defer rows.Close()
	var out []subscribers.List
	for rows.Next() {
		var l subscribers.List
		var created string
		if err := rows.Scan(&l.ID, &l.Name, &l.Title, &l.Description, &l.Visibility, &created, &l.OptIn, &l.Subscribed, &l.Unsubscribed, &l.Active); err != nil {
			return nil, fmt.Errorf("find lists: %w", err)
		}
		l.CreatedAt = parseTime(created)
		out = append(out, l)
	}
	return out, rows.Err()
}
