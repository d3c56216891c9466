package csvimport

import (
	"context"
	"io"
	"path/filepath"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Store commits the rows of a contact file (subscribers.ImportService).
type Store interface {
	ImportRows(ctx context.Context, rows subscribers.ContactRows, cfg subscribers.ImportConfig) (*subscribers.ImportResult, error)
}

// Import reads the contact file name from r and has s commit its rows, as
// `dispatch import` and the console's imports do. A file that cannot be
// imported at all is a *subscribers.ImportError and nothing is written;
// otherwise the result is the store's, with what was detected in the
// file (encoding, delimiter, columns).
func Import(ctx context.Context, s Store, name string, r io.Reader, cfg subscribers.ImportConfig) (*subscribers.ImportResult, error) {
	if cfg.Source == "" {
		cfg.Source = "import:" + filepath.Base(name)
	}
	// The list is checked before the file is read, so that a typo in the
	// command is reported first.
	if err := subscribers.ValidateListName(cfg.List); err != nil {
		return nil, err
	}
	rows, err := Open(name, r, cfg)
	if err != nil {
		return nil, err
	}
	res, err := s.ImportRows(ctx, rows, cfg)
	if res != nil {
		res.Encoding, res.Delimiter, res.Columns = rows.Encoding, rows.Delimiter, rows.Columns
	}
	return res, err
}
