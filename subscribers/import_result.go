package subscribers

import "time"

// ImportProgress is reported after each committed batch.
type ImportProgress struct {
	Rows      int
	BytesRead int64
	Size      int64
	Elapsed   time.Duration
}

// InvalidRow is a row that was skipped, and why.
type InvalidRow struct {
	Line  int    `json:"line"`
	Value string `json:"value"`
	Error string `json:"error"`
}

// ImportResult counts what an import did (or, in a dry run, would do).
type ImportResult struct {
	Rows         int           `json:"rows"`
	Added        int           `json:"added"`
	Updated      int           `json:"updated"`
	Unchanged    int           `json:"unchanged"`
	Suppressed   int           `json:"suppressed"`
	Duplicates   int           `json:"duplicates"`
	Invalid      []InvalidRow  `json:"invalid"`
	InvalidCount int           `json:"invalid_count"`
	List         string        `json:"list"`
	ListCreated  bool          `json:"list_created"`
	Encoding     string        `json:"encoding"`
	Delimiter    string        `json:"delimiter"`
	Columns      ColumnMapping `json:"columns"`
	DryRun       bool          `json:"dry_run"`
	Interrupted  bool          `json:"interrupted"`
	Seconds      float64       `json:"seconds"`
}

// ImportError is a file that could not be imported at all; nothing was
// written.
type ImportError struct {
	File string
	Err  error
}

func (e *ImportError) Error() string { return e.File + ": " + e.Err.Error() }

func (e *ImportError) Unwrap() error { return e.Err }

// ColumnMapping tells the admin how the file's columns were understood.
type ColumnMapping struct {
	Email      string   `json:"email"`
	Name       []string `json:"name,omitempty"`
	Status     string   `json:"status,omitempty"`
	Attributes []string `json:"attributes,omitempty"`
}

// ImportLimits bound what one CSV row may hold, so that a hostile or broken
// file cannot make the import (or later sends) hold gigabytes: a row that
// breaks a limit is read to its end without being kept, and reported as
// invalid with its line. Zero fields take the defaults.
type ImportLimits struct {
	MaxFieldBytes      int // one field, after decoding (default 64 KiB)
	MaxRowBytes        int // all fields of one row together (default 1 MiB)
	MaxColumns         int // fields in one row, the header included (default 1,000)
	MaxAttributesBytes int // a subscriber's attributes as JSON (default 64 KiB)
}

// DefaultImportLimits are generous for any real contact export (Mailchimp's
// widest has under 100 columns) and small enough that a million-row
// import's working set stays in megabytes.
func DefaultImportLimits() ImportLimits {
	return ImportLimits{MaxFieldBytes: 64 << 10, MaxRowBytes: 1 << 20, MaxColumns: 1000,
		MaxAttributesBytes: DefaultMaxAttributesBytes}
}

func (l ImportLimits) WithDefaults() ImportLimits {
	d := DefaultImportLimits()
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = d.MaxFieldBytes
	}
	if l.MaxRowBytes <= 0 {
		l.MaxRowBytes = d.MaxRowBytes
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = d.MaxColumns
	}
	if l.MaxAttributesBytes <= 0 {
		l.MaxAttributesBytes = d.MaxAttributesBytes
	}
	return l
}

// ImportConfig describes one contact import.
type ImportConfig struct {
	List   string // list to add everyone to; created if missing (not in a dry run)
	Source string // consent source recorded on subscriptions, e.g. "import:clients.csv"
	// Actor is who ran the import, on its events (the console's admin);
	// empty means Source.
	Actor     string
	Basis     LawfulBasis // lawful basis recorded on new subscriptions; "" means DefaultImportBasis
	Update    bool        // change the name and attributes of existing subscribers
	DryRun    bool        // count what would happen, write nothing
	Encoding  string      // "" or "auto" to detect; otherwise a WHATWG label
	Delimiter rune        // 0 to sniff
	// Mapping overrides the detected column roles (nil: detect them all).
	Mapping   *Mapping
	BatchSize int // rows per transaction (default 10000)
	MaxErrors int // invalid rows kept in the report (default 1000; all are counted)
	// Limits bound a row's fields, size, columns and attributes.
	Limits ImportLimits
	// Size is the file size in bytes when known, for progress.
	Size int64
	// Progress, if set, is called after each batch from the importing goroutine.
	Progress func(ImportProgress)
}
