package console

import "github.com/dispatchhq/dispatch/subscribers"

// PreviewOptions say how to read an uploaded file for its preview.
type PreviewOptions struct {
	Mapping *subscribers.Mapping // nil: detect the columns
	Rows    int                  // rows to show
	Limits  subscribers.ImportLimits
}

// ImportPreview is how the import reads a file: what it detected and the
// first rows as it understood them.
type ImportPreview struct {
	Encoding  string
	Delimiter string
	Header    []string
	Columns   []PreviewColumn // each column's role, in header order
	// Mapping is the mapping in effect, every role spelled out.
	Mapping *subscribers.Mapping
	// MappingErr says why the columns cannot be imported as mapped (no
	// email column, a mapped column missing).
	MappingErr string
	Rows       []PreviewRow
}

// PreviewColumn is one column of the file and what the import does with it.
type PreviewColumn struct {
	Header string
	Role   string // email, name, first, last, status, attr, json, ignore
	Key    string // the attribute key, for attr
}

// PreviewRow is one row as read and as it would be imported.
type PreviewRow struct {
	Line       int
	Cells      []string
	Email      string
	Name       string
	Attributes map[string]any
	Status     subscribers.Status
	Invalid    string // why the row would be skipped
}
