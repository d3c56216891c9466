package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxListTitle bounds a title: it goes into every message's footer and
// List-Id header.
const maxListTitle = 200

// ValidateListTitle rejects titles that could not be shown as they are in a
// header or a page: control characters (a line break would end the header)
// and overlong or non-UTF-8 text. An empty title is valid: the list's name
// is shown instead.
func ValidateListTitle(title string) error {
	if !utf8.ValidString(title) {
		return fmt.Errorf("list title is not valid UTF-8: %w", ErrInvalid)
	}
	if n := utf8.RuneCountInString(title); n > maxListTitle {
		return fmt.Errorf("list title is %d characters, longer than %d: %w", n, maxListTitle, ErrInvalid)
	}
	if i := strings.IndexFunc(title, unicode.IsControl); i >= 0 {
		return fmt.Errorf("list title has a control character (%q) at byte %d: %w", title[i:i+1], i, ErrInvalid)
	}
	return nil
}

// ListUpdate changes a list; nil fields are left as they are.
type ListUpdate struct {
	Title       *string // "" clears the title, so recipients see the name
	Description *string
}

// UpdateList changes the title or description of the list called name. It
// returns ErrNotFound for an unknown list and ErrInvalid for a bad title.
func (s *Store) UpdateList(ctx context.Context, name string, upd ListUpdate) (*List, error) {
	if upd.Title != nil {
		t := strings.TrimSpace(*upd.Title)
		if err := ValidateListTitle(t); err != nil {
			return nil, err
		}
		upd.Title = &t
	}
	var l *List
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
		if _, err := tx.ExecContext(ctx, `UPDATE lists SET title = ?, description = ? WHERE id = ?`,
			l.Title, l.Description, l.ID); err != nil {
			return fmt.Errorf("update list %q: %w", l.Name, err)
		}
		return nil
	})
	return l, err
}

// RenameList gives a list a new name. Subscriptions, campaigns and events
// refer to the list by id, so they all follow the rename. Changing only the
// case of a name is allowed; taking another list's name returns ErrExists.
func (s *Store) RenameList(ctx context.Context, oldName, newName string) (*List, error) {
	newName = strings.TrimSpace(newName)
	if err := ValidateListName(newName); err != nil {
		return nil, err
	}
	var l *List
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = findListByName(ctx, tx, oldName); err != nil {
			return err
		}
		other, err := findListByName(ctx, tx, newName)
		switch {
		case err == nil && other.ID != l.ID:
			return fmt.Errorf("rename list %q to %q: %w", l.Name, newName, ErrExists)
		case err != nil && !errors.Is(err, ErrNotFound):
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
