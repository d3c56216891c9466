package console_test

import (
	"context"
	"io"
	"testing"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
)

// withImports gives cfg a real import runner over s, a spool in a
// temporary directory (unless cfg has one) and the import's own preview.
func withImports(t *testing.T, cfg *console.Config, s *sqlite.Store) {
	t.Helper()
	if cfg.Uploads == nil {
		sp, err := imports.NewSpool(t.TempDir(), console.DefaultMaxUploadMB<<20)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Uploads = sp
	}
	r, err := imports.New(context.Background(), s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	cfg.Imports, cfg.Preview = r, previewImport
}

// previewImport is the wiring of `dispatch serve`: the console's preview
// is the import's own.
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
