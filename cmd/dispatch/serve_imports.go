package main

import (
	"context"
	"io"
	"time"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/csvimport"
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

// previewImport is the console's preview: the import's own reader.
func previewImport(r io.Reader, o console.PreviewOptions) (*console.ImportPreview, error) {
	p, err := csvimport.PreviewImport(r, csvimport.PreviewConfig{Mapping: o.Mapping, Rows: o.Rows, Limits: o.Limits})
	if err != nil {
		return nil, err
	}
	out := &console.ImportPreview{Encoding: p.Encoding, Delimiter: p.Delimiter, Header: p.Header, Mapping: p.Mapping,
		MappingErr: p.MappingErr}
	for _, c := range p.Columns {
		out.Columns = append(out.Columns, console.PreviewColumn(c))
	}
	for _, row := range p.Rows {
		out.Rows = append(out.Rows, console.PreviewRow(row))
	}
	return out, nil
}
