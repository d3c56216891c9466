package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
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
	json   string             // the attributes, a JSON object, encoded by the file's reader
	status subscribers.Status // from a status column; active when absent
}

// ImportRows commits the rows of a contact file (read by package
// csvimport) in batched transactions. Memory stays flat: rows are handled
// a batch at a time and in-file duplicates are tracked in a temporary
// table, not in a Go map. An interrupted import (ctx cancelled) returns
// the counts so far with Interrupted set and ctx.Err(); running it again
// is safe.
func (s *Store) ImportRows(ctx context.Context, rows subscribers.ContactRows, cfg subscribers.ImportConfig) (_ *subscribers.ImportResult, err error) {
	cfg = importDefaults(cfg)
	if err := subscribers.ValidateListName(cfg.List); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &subscribers.ImportResult{Invalid: []subscribers.InvalidRow{}, DryRun: cfg.DryRun}

	conn, release, err := s.importConn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := release(); rerr != nil && err == nil {
			err = rerr
		}
	}()
	listID, err := s.importList(ctx, conn, cfg, res)
	if err != nil {
		return nil, err
	}
	w := &batchWriter{s: s, conn: conn, cfg: cfg, listID: listID, res: res}
	err = w.commitAll(ctx, rows, start)
	res.Seconds = time.Since(start).Seconds()
	if ctx.Err() != nil {
		res.Interrupted = true
		return res, ctx.Err()
	}
	return res, err
}

// importDefaults fills in what an ImportConfig leaves unset.
func importDefaults(cfg subscribers.ImportConfig) subscribers.ImportConfig {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10000
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = 1000
	}
	if cfg.Source == "" {
		cfg.Source = "import"
	}
	if cfg.Actor == "" {
		cfg.Actor = cfg.Source
	}
	if cfg.Basis == "" {
		cfg.Basis = subscribers.DefaultImportBasis
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	return cfg
}

// importList finds the list to import into, or creates it (in a dry run,
// only says it would). The id is 0 when the list does not exist yet.
func (s *Store) importList(ctx context.Context, conn *sql.Conn, cfg subscribers.ImportConfig, res *subscribers.ImportResult) (int64, error) {
	l, err := findListByName(ctx, conn, cfg.List)
	switch {
	case err == nil:
		res.List = l.Name
		return l.ID, nil
	case !errors.Is(err, subscribers.ErrNotFound):
		return 0, err
	case cfg.DryRun:
		res.List, res.ListCreated = strings.TrimSpace(cfg.List), true
		return 0, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	l, err = s.createList(ctx, tx, subscribers.NewList{Name: strings.TrimSpace(cfg.List)})
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err != nil {
		return 0, err
	}
	res.List, res.ListCreated = l.Name, true
	return l.ID, nil
}

// commitAll writes every batch of rows. Reading and writing overlap: a
// reader goroutine takes the rows, de-duplicates them within a batch and
// cuts batches while this goroutine writes the previous one. The reader
// owns its counters until it closes batches.
func (w *batchWriter) commitAll(ctx context.Context, rows subscribers.ContactRows, start time.Time) error {
	batches := make(chan rowBatch, 2)
	rctx, stopReader := context.WithCancel(ctx)
	rd := &rowReader{src: rows, cfg: w.cfg}
	go rd.run(rctx, batches)
	defer func() {
		stopReader()
		for range batches { // let the reader finish before its state is read
		}
	}()
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.write(ctx, b.rows); err != nil {
			return err
		}
		w.res.Rows = b.rowsSoFar
		if w.cfg.Progress != nil {
			w.cfg.Progress(subscribers.ImportProgress{Rows: b.rowsSoFar, BytesRead: b.bytesSoFar, Size: w.cfg.Size, Elapsed: time.Since(start)})
		}
	}
	// The reader has closed the channel: its state is ours now.
	rd.report(w.res)
	if err := ctx.Err(); err != nil {
		return err
	}
	return rd.err
}

// rowBatch is a slice of valid rows, de-duplicated within itself.
type rowBatch struct {
	rows       []importRow
	rowsSoFar  int
	bytesSoFar int64
}

// rowReader takes rows from the file and batches them on its own
// goroutine.
type rowReader struct {
	src subscribers.ContactRows
	cfg subscribers.ImportConfig

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
	batch := make([]importRow, 0, rd.cfg.BatchSize)
	inBatch := make(map[string]struct{}, rd.cfg.BatchSize)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- rowBatch{rows: batch, rowsSoFar: rd.rows, bytesSoFar: rd.src.BytesRead()}:
		case <-ctx.Done():
			return false
		}
		batch = make([]importRow, 0, rd.cfg.BatchSize)
		clear(inBatch)
		return true
	}
	for {
		r, err := rd.src.Next()
		if err == io.EOF {
			send()
			return
		}
		if err != nil {
			// The stream broke (I/O, decoding): what was read so far is
			// still written, then the import reports where it stopped.
			if send() {
				rd.err = err
			}
			return
		}
		rd.rows++
		if r.Invalid != "" {
			rd.addInvalid(r.Line, r.Email, r.Invalid)
			continue
		}
		row := importRow{line: r.Line, email: r.Email, norm: strings.ToLower(r.Email), name: r.Name, json: r.Attributes, status: r.Status}
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

// report adds what the reader counted to res, with the invalid rows it
// found and those the writer found against stored data in file order.
func (rd *rowReader) report(res *subscribers.ImportResult) {
	res.Rows = rd.rows
	res.Duplicates += rd.duplicates
	res.InvalidCount += rd.invalidCount
	for _, inv := range rd.invalid {
		if len(res.Invalid) < rd.cfg.MaxErrors {
			res.Invalid = append(res.Invalid, inv)
		}
	}
	slices.SortStableFunc(res.Invalid, func(a, b subscribers.InvalidRow) int { return a.Line - b.Line })
}
