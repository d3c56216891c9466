package subscribers

// ContactRow is one row of a contact file, read and checked against the
// column mapping: what the store commits, or why it cannot.
type ContactRow struct {
	Line       int    // where the row starts in the file
	Email      string // the cleaned address; as the file has it when Invalid is set
	Name       string
	Attributes string // a JSON object
	Status     Status // from a status column; active when there is none
	// Invalid says why the row cannot be imported ("" when it can). Such
	// a row is counted and reported, never written.
	Invalid string
}

// ContactRows is a contact file being read, one row at a time. Reading it
// (encoding, delimiter, column mapping) is package csvimport's work;
// committing its rows is the store's (ImportService.ImportRows).
type ContactRows interface {
	// Next returns the next row that is not blank, or io.EOF after the
	// last one. Any other error means the file cannot be read further;
	// it names the file and the line.
	Next() (ContactRow, error)
	// BytesRead says how much of the file has been read, for progress.
	BytesRead() int64
}
