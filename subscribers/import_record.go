package subscribers

import "time"

// ImportStatus is where a recorded import stands.
type ImportStatus string

const (
	ImportRunning     ImportStatus = "running"
	ImportFinished    ImportStatus = "finished"
	ImportFailed      ImportStatus = "failed"      // the file could not be imported; nothing was written
	ImportInterrupted ImportStatus = "interrupted" // stopped part-way (shutdown); running it again is safe
)

// ImportRecord is one import in the history: who ran it, on what, and what
// came of it.
type ImportRecord struct {
	ID         int64
	Actor      string
	FileName   string
	FileSize   int64
	List       string
	Mapping    string // the --map syntax of the mapping used, if any
	DryRun     bool
	Status     ImportStatus
	Error      string        // why a failed import failed
	Result     *ImportResult // counts (Invalid holds no rows: see FindImportInvalidRows); nil while running
	StartedAt  time.Time
	FinishedAt time.Time
}
