package main

import (
	"context"
	"time"

	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
)

// uploadAge is how long an upload waits in the spool to be imported.
const uploadAge = 24 * time.Hour

// consoleImports makes the runner, the upload spool (DATABASE.uploads)
// and the preview of the console's import pages. The runner must be
// closed when serve stops.
func (a *app) consoleImports(ctx context.Context, s *sqlite.Store) (*imports.Runner, *imports.Spool, error) {
	sp, err := imports.NewSpool(s.Path()+".uploads", int64(a.cfg.Admin.MaxUploadMB)<<20)
	if err != nil {
		return nil, nil, err
	}
	sp.Sweep(uploadAge)
	r, err := imports.New(ctx, s, imports.Config{Logger: a.serverLogger()})
	if err != nil {
		return nil, nil, err
	}
	return r, sp, nil
}
