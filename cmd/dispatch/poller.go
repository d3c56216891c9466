package main

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/subscribers"
)

// startBouncePoller is wired once the mailbox processor lands.
func (a *app) startBouncePoller(ctx context.Context, g *errgroup.Group, s *subscribers.Store, tokens *subscribers.Tokens) error {
	return nil
}
