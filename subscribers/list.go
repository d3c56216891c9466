package subscribers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateListName rejects names that would be confusing in commands and URLs.
func ValidateListName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("list name is empty: %w", ErrInvalid)
	}
	if len(name) > 100 {
		return fmt.Errorf("list name longer than 100 characters: %w", ErrInvalid)
	}
	return nil
}

// Visibility says who may see a list's issues on the web.
type Visibility string

const (
	// Private lists (the default) have no archive index or feed: an issue's
	// web version is reachable only through the signed link in its email.
	Private Visibility = "private"
	// Public lists have an archive index, an Atom feed and a subscribe
	// page, and show in the preference centre.
	Public Visibility = "public"
)

// ParseVisibility validates a visibility name.
func ParseVisibility(s string) (Visibility, error) {
	switch v := Visibility(strings.ToLower(strings.TrimSpace(s))); v {
	case Private, Public:
		return v, nil
	}
	return "", fmt.Errorf("unknown visibility %q (want public or private): %w", s, ErrInvalid)
}

// NewList is a list to create.
type NewList struct {
	Name        string // how the admin names it in commands; unique, case-insensitively
	Title       string // what recipients see; empty means Name
	Description string
	Visibility  Visibility // empty means Private
	OptIn       OptIn      // "" means double
}

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
	Visibility  *Visibility
	OptIn       *OptIn
}
