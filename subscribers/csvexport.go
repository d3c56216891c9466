package subscribers

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportHeader is the header of a subscriber export; the file imports back
// with `dispatch import`.
var ExportHeader = []string{"email", "name", "status", "lists", "attributes", "created_at"}

// ExportWriter writes subscribers as CSV, every cell neutralised against
// spreadsheet formulas (CSVCell). It is the one export format, for the CLI
// and the console alike.
type ExportWriter struct {
	w      *csv.Writer
	header bool
}

// NewExportWriter returns a writer to w; the header goes out with the
// first row (or on Flush, for an empty export).
func NewExportWriter(w io.Writer) *ExportWriter {
	return &ExportWriter{w: csv.NewWriter(w)}
}

// Write writes one subscriber.
func (e *ExportWriter) Write(sub *Subscriber) error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	attrs := sub.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	var lists []string
	for _, l := range sub.Lists {
		if l.Status == Subscribed {
			lists = append(lists, l.List)
		}
	}
	return e.writeRow([]string{sub.Email, sub.Name, string(sub.Status), strings.Join(lists, ";"), string(js),
		sub.CreatedAt.UTC().Format(time.RFC3339)})
}

func (e *ExportWriter) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	return e.w.Write(ExportHeader)
}

func (e *ExportWriter) writeRow(row []string) error {
	for i := range row {
		row[i] = CSVCell(row[i])
	}
	return e.w.Write(row)
}

// Flush writes any buffered data and reports any write error.
func (e *ExportWriter) Flush() error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.w.Flush()
	return e.w.Error()
}

// WriteInvalidRows writes an import's invalid rows as CSV (line, value,
// reason), neutralised like every export: the values are what the file
// held, and may be anything.
func WriteInvalidRows(w io.Writer, rows func(yield func(InvalidRow) error) error) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "value", "reason"}); err != nil {
		return err
	}
	err := rows(func(r InvalidRow) error {
		return cw.Write([]string{strconv.Itoa(r.Line), CSVCell(r.Value), CSVCell(r.Error)})
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}
