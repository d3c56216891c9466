package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
)

// importRow is one valid, de-duplicated row on its way to the database.
type importRow struct {
	line   int
	email  string
	norm   string
	name   string
	json   string             // the attributes, a JSON object, encoded on the reader goroutine
	status subscribers.Status // from a status column; active when absent
}

// Import streams a CSV file into the store in batched transactions. Memory
// stays flat: rows are handled a batch at a time and in-file duplicates are
// tracked in a temporary table, not in a Go map. An interrupted import
// (ctx cancelled) returns the counts so far with Interrupted set and
// ctx.Err(); running it again is safe.
func (s *Store) Import(ctx context.Context, name string, r io.Reader, cfg subscribers.ImportConfig) (_ *subscribers.ImportResult, err error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10000
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = 1000
	}
	if cfg.Source == "" {
		cfg.Source = "import:" + filepath.Base(name)
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	if err := subscribers.ValidateListName(cfg.List); err != nil {
		return nil, err
	}
	start := time.Now()
	counter := &countingReader{r: r}
	src, err := newCSVSource(counter, cfg.Encoding, cfg.Delimiter, cfg.Limits)
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: err}
	}
	header, line, err := src.Read()
	if err == io.EOF {
		return nil, &subscribers.ImportError{File: name, Err: errors.New("file is empty")}
	}
	var le *LimitError
	if errors.As(err, &le) {
		return nil, &subscribers.ImportError{File: name, Err: fmt.Errorf("line %d: the header row: %s", line, headerLimit(le))}
	}
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: fmt.Errorf("line %d: %w", line, err)}
	}
	cols, err := mapColumns(header, cfg.Mapping)
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: fmt.Errorf("line %d: %w", line, err)}
	}
	res := &subscribers.ImportResult{Invalid: []subscribers.InvalidRow{}, Encoding: src.encoding, Delimiter: string(src.delimiter),
		Columns: cols.describe(), DryRun: cfg.DryRun}

	conn, release, err := s.importConn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := release(); rerr != nil && err == nil {
			err = rerr
		}
	}()

	var listID int64
	if l, err := findListByName(ctx, conn, cfg.List); err == nil {
		listID, res.List = l.ID, l.Name
	} else if !errors.Is(err, subscribers.ErrNotFound) {
		return nil, err
	} else if !cfg.DryRun {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		l, err := s.createList(ctx, tx, subscribers.NewList{Name: strings.TrimSpace(cfg.List)})
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		if err != nil {
			return nil, err
		}
		listID, res.List, res.ListCreated = l.ID, l.Name, true
	} else {
		res.List, res.ListCreated = strings.TrimSpace(cfg.List), true
	}

	w := &batchWriter{s: s, conn: conn, cfg: cfg, listID: listID, res: res}

	// Parsing and writing overlap: a reader goroutine validates rows and
	// cuts batches while this goroutine writes the previous one. The reader
	// owns its counters until it closes batches.
	batches := make(chan rowBatch, 2)
	rctx, stopReader := context.WithCancel(ctx)
	rd := &rowReader{src: src, cols: cols, cfg: cfg, counter: counter, name: name}
	go rd.run(rctx, batches)
	defer func() {
		stopReader()
		for range batches { // let the reader finish before its state is read
		}
	}()

	finish := func(err error) (*subscribers.ImportResult, error) {
		res.Seconds = time.Since(start).Seconds()
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, ctx.Err()
		}
		return res, err
	}
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		if err := w.write(ctx, b.rows); err != nil {
			return finish(err)
		}
		res.Rows = b.rowsSoFar
		if cfg.Progress != nil {
			cfg.Progress(subscribers.ImportProgress{Rows: b.rowsSoFar, BytesRead: b.bytesSoFar, Size: cfg.Size, Elapsed: time.Since(start)})
		}
	}
	// The reader has closed the channel: its state is ours now.
	res.Rows = rd.rows
	res.Duplicates += rd.duplicates
	res.InvalidCount += rd.invalidCount
	for _, inv := range rd.invalid {
		if len(res.Invalid) < cfg.MaxErrors {
			res.Invalid = append(res.Invalid, inv)
		}
	}
	// The writer found a few rows invalid against stored data; report all
	// in file order.
	slices.SortStableFunc(res.Invalid, func(a, b subscribers.InvalidRow) int { return a.Line - b.Line })
	if err := ctx.Err(); err != nil {
		return finish(err)
	}
	return finish(rd.err)
}

// rowBatch is a slice of valid rows, de-duplicated within itself.
type rowBatch struct {
	rows       []importRow
	rowsSoFar  int
	bytesSoFar int64
}

// rowReader parses, validates and batches records on its own goroutine.
type rowReader struct {
	src     *csvSource
	cols    *columnMap
	cfg     subscribers.ImportConfig
	counter *countingReader
	name    string

	rows         int
	duplicates   int
	invalidCount int
	invalid      []subscribers.InvalidRow
	err          error
}

func (rd *rowReader) addInvalid(line int, value, reason string) {
	rd.invalidCount++
	if len(rd.invalid) < rd.cfg.MaxErrors {
		if len(value) > 200 {
			// Cut at a rune start: the report is text, shown and sent as JSON.
			n := 200
			for n > 0 && !utf8.RuneStart(value[n]) {
				n--
			}
			value = value[:n] + "…"
		}
		rd.invalid = append(rd.invalid, subscribers.InvalidRow{Line: line, Value: value, Error: reason})
	}
}

// run reads until EOF, an error or cancellation, then closes out.
func (rd *rowReader) run(ctx context.Context, out chan<- rowBatch) {
	defer close(out)
	maxAttrs := rd.cfg.Limits.WithDefaults().MaxAttributesBytes
	batch := make([]importRow, 0, rd.cfg.BatchSize)
	inBatch := make(map[string]struct{}, rd.cfg.BatchSize)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- rowBatch{rows: batch, rowsSoFar: rd.rows, bytesSoFar: rd.counter.n}:
		case <-ctx.Done():
			return false
		}
		batch = make([]importRow, 0, rd.cfg.BatchSize)
		clear(inBatch)
		return true
	}
	for {
		rec, line, err := rd.src.Read()
		if err == io.EOF {
			send()
			return
		}
		var le *LimitError
		if errors.As(err, &le) {
			// The row is dropped whole, never cut: a subscriber must not be
			// created from part of what the file says about them.
			rd.rows++
			rd.addInvalid(line, field(rec, rd.cols.email), rd.cols.limitReason(le))
			continue
		}
		if err != nil {
			// The stream broke (I/O, decoding): what was read so far is
			// still written, then the import reports where it stopped.
			if send() {
				rd.err = fmt.Errorf("%s: line %d: %w", rd.name, line, err)
			}
			return
		}
		if isBlank(rec) {
			continue
		}
		rd.rows++
		row, reason := parseRow(rec, rd.cols, maxAttrs)
		row.line = line
		if reason != "" {
			rd.addInvalid(line, row.email, reason)
			continue
		}
		if _, dup := inBatch[row.norm]; dup {
			rd.duplicates++
			continue
		}
		inBatch[row.norm] = struct{}{}
		batch = append(batch, row)
		if len(batch) >= rd.cfg.BatchSize && !send() {
			return
		}
	}
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseRow validates one record; a non-empty reason means skip it.
func parseRow(rec []string, cols *columnMap, maxAttrs int) (importRow, string) {
	raw := ""
	if cols.email < len(rec) {
		raw = subscribers.UnescapeCSVCell(strings.TrimSpace(rec[cols.email]))
	}
	email := subscribers.CleanEmail(raw)
	// Google Contacts joins several addresses with " ::: ".
	if i := strings.Index(email, ":::"); i >= 0 {
		email = subscribers.CleanEmail(email[:i])
	}
	row := importRow{email: email}
	if email == "" {
		row.email = raw
		return row, "empty email"
	}
	if err := subscribers.ValidateEmail(email); err != nil {
		return row, err.Error()
	}
	row.norm = strings.ToLower(email)

	name := field(rec, cols.name)
	if name == "" {
		var parts []string
		for _, i := range cols.first {
			if v := field(rec, i); v != "" {
				parts = append(parts, v)
			}
		}
		if v := field(rec, cols.last); v != "" {
			parts = append(parts, v)
		}
		name = strings.Join(parts, " ")
	}
	row.name = name
	row.status = subscribers.StatusActive

	statusAttr := ""
	if cols.status >= 0 {
		v := field(rec, cols.status)
		if st, ok := statusFromFile(v); ok {
			row.status = st
		} else {
			statusAttr = v
		}
	}
	if cols.json < 0 {
		// The common case: plain columns, written straight as a JSON object
		// without a map and reflection per row.
		buf := make([]byte, 0, 128)
		buf = append(buf, '{')
		n := 0
		add := func(k, v string) {
			if n > 0 {
				buf = append(buf, ',')
			}
			n++
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendJSONString(buf, v)
		}
		for _, a := range cols.attrs {
			if v := field(rec, a.index); v != "" {
				add(a.key, v)
			}
		}
		if statusAttr != "" && !cols.hasAttr("status") {
			add("status", statusAttr)
		}
		buf = append(buf, '}')
		if len(buf) > maxAttrs {
			return row, attrsTooLong(len(buf), maxAttrs)
		}
		row.json = string(buf)
		return row, ""
	}
	attrs := map[string]any{}
	if v := field(rec, cols.json); v != "" && v != "{}" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return row, fmt.Sprintf("column %q is not a JSON object: %v", cols.header[cols.json], err)
		}
		for k, val := range obj {
			attrs[k] = val
		}
	}
	for _, a := range cols.attrs {
		if v := field(rec, a.index); v != "" {
			attrs[a.key] = v
		}
	}
	if statusAttr != "" {
		attrs["status"] = statusAttr
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return row, fmt.Sprintf("attributes cannot be stored: %v", err)
	}
	if len(js) > maxAttrs {
		return row, attrsTooLong(len(js), maxAttrs)
	}
	row.json = string(js)
	return row, ""
}

func attrsTooLong(n, limit int) string {
	return fmt.Sprintf("the attributes are %d bytes as JSON, over the %s limit (import.max_attributes_bytes); the row was skipped",
		n, byteSize(limit))
}

// limitReason says which limit a row broke, naming the column.
func (m *columnMap) limitReason(le *LimitError) string {
	if le.Key == "import.max_field_bytes" && le.Field-1 < len(m.header) {
		return fmt.Sprintf("field %d (%q) is longer than %s (import.max_field_bytes); the row was skipped",
			le.Field, m.header[le.Field-1], byteSize(le.Limit))
	}
	return le.Error()
}

// headerLimit words a limit broken by the header row.
func headerLimit(le *LimitError) string {
	switch le.Key {
	case "import.max_columns":
		return fmt.Sprintf("more than %d columns (import.max_columns): is this a contact list?", le.Limit)
	case "import.max_field_bytes":
		return fmt.Sprintf("column %d's name is longer than %s (import.max_field_bytes)", le.Field, byteSize(le.Limit))
	}
	return fmt.Sprintf("longer than %s (import.max_row_bytes)", byteSize(le.Limit))
}

// appendJSONString appends s as a JSON string literal (s is valid UTF-8:
// the CSV reader decodes to UTF-8).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
