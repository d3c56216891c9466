package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// UpdateList changes the title, description or visibility of the list called name. It
// returns ErrNotFound for an unknown list and ErrInvalid for a bad title.
func (s *Store) UpdateList(ctx context.Context, name string, upd subscribers.ListUpdate) (*subscribers.List, error) {
	if upd.Title != nil {
		t := strings.TrimSpace(*upd.Title)
		if err := subscribers.ValidateListTitle(t); err != nil {
			return nil, err
		}
		upd.Title = &t
	}
	if upd.Visibility != nil {
		v, err := subscribers.ParseVisibility(string(*upd.Visibility))
		if err != nil {
			return nil, err
		}
		upd.Visibility = &v
	}
	var l *subscribers.List
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = findListByName(ctx, tx, name); err != nil {
			return err
		}
		if upd.Title != nil {
			l.Title = *upd.Title
		}
		if upd.Description != nil {
			l.Description = *upd.Description
		}
		if upd.Visibility != nil {
			l.Visibility = *upd.Visibility
		}
		if upd.OptIn != nil {
			l.OptIn = *upd.OptIn
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lists SET title = ?, description = ?, visibility = ?, optin = ? WHERE id = ?`,
			l.Title, l.Description, l.Visibility, l.OptIn, l.ID); err != nil {
			return fmt.Errorf("update list %q: %w", l.Name, err)
		}
		return nil
	})
	return l, err
}

// RenameList gives a list a new name. Subscriptions, campaigns and events
// refer to the list by id, so they all follow the rename. Changing only the
// case of a name is allowed; taking another list's name returns ErrExists.
func (s *Store) RenameList(ctx context.Context, oldName, newName string) (*subscribers.List, error) {
	newName = strings.TrimSpace(newName)
	if err := subscribers.ValidateListName(newName); err != nil {
		return nil, err
	}
	var l *subscribers.List
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = findListByName(ctx, tx, oldName); err != nil {
			return err
		}
		other, err := findListByName(ctx, tx, newName)
		switch {
		case err == nil && other.ID != l.ID:
			return fmt.Errorf("rename list %q to %q: %w", l.Name, newName, subscribers.ErrExists)
		case err != nil && !errors.Is(err, subscribers.ErrNotFound):
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lists SET name = ? WHERE id = ?`, newName, l.ID); err != nil {
			return fmt.Errorf("rename list %q to %q: %w", l.Name, newName, err)
		}
		l.Name = newName
		return nil
	})
	return l, err
}
