package main

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// openIfExists opens the database when there is one, and returns nil when
// there is none: render and preview work without a database, and must not
// create one.
func (a *app) openIfExists(ctx context.Context) (*sqlite.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	if _, err := os.Stat(a.cfg.Database.Path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return a.openStore(ctx)
}

// previewList finds the list an issue is rendered for outside a send, so
// its footer shows the list's title. It returns nil when there is no
// database or no such list: the name itself is shown then.
func (a *app) previewList(ctx context.Context, name string) (*subscribers.List, error) {
	s, err := a.openIfExists(ctx)
	if s == nil || err != nil {
		return nil, err
	}
	l, err := s.FindListByName(ctx, name)
	if errors.Is(err, subscribers.ErrNotFound) {
		return nil, nil
	}
	return l, err
}
