package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// CreateImportRecord records an import that is starting and returns its id.
func (s *Store) CreateImportRecord(ctx context.Context, r subscribers.ImportRecord) (int64, error) {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO imports (actor, file_name, file_size, list, mapping, dry_run, status, started_at)
		VALUES (?, ?, ?, ?, ?, ?, `+sqlImportRunning+`, ?)`,
		r.Actor, r.FileName, r.FileSize, r.List, r.Mapping, r.DryRun, formatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("record import of %s: %w", r.FileName, err)
	}
	return res.LastInsertId()
}

// FinishImportRecord stores how an import ended: its counts and its
// invalid rows (as many as the result kept), in one transaction.
func (s *Store) FinishImportRecord(ctx context.Context, id int64, status subscribers.ImportStatus, res *subscribers.ImportResult, errText string) error {
	summary := "{}"
	var invalid []subscribers.InvalidRow
	rows, added, invalidCount := 0, 0, 0
	if res != nil {
		c := *res
		invalid, c.Invalid = res.Invalid, nil
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("record import result: %w", err)
		}
		summary, rows, added, invalidCount = string(b), res.Rows, res.Added, res.InvalidCount
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `
			UPDATE imports SET status = ?, error = ?, result = ?, rows_read = ?, added = ?, invalid_count = ?, finished_at = ?
			WHERE id = ? AND status = `+sqlImportRunning,
			status, errText, summary, rows, added, invalidCount, formatTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("record import result: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("import %d: %w (or already finished)", id, subscribers.ErrNotFound)
		}
		for _, inv := range invalid {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO import_invalid_rows (import_id, line, value, reason) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, id, inv.Line, inv.Value, inv.Error); err != nil {
				return fmt.Errorf("record invalid rows: %w", err)
			}
		}
		return nil
	})
}

// InterruptRunningImports marks imports left running by a process that
// ended (a crash, a restart) as interrupted, and returns how many.
func (s *Store) InterruptRunningImports(ctx context.Context) (int, error) {
	r, err := s.db.ExecContext(ctx, `UPDATE imports SET status = `+sqlImportInterrupted+`, finished_at = ?,
		error = 'the server stopped during the import; run it again: rows already imported are not duplicated'
		WHERE status = `+sqlImportRunning, formatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("mark interrupted imports: %w", err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}

const importColumns = `id, actor, file_name, file_size, list, mapping, dry_run, status, error, result, started_at, COALESCE(finished_at, '')`

func scanImportRecord(sc interface{ Scan(...any) error }) (*subscribers.ImportRecord, error) {
	var r subscribers.ImportRecord
	var result, started, finished string
	if err := sc.Scan(&r.ID, &r.Actor, &r.FileName, &r.FileSize, &r.List, &r.Mapping, &r.DryRun, &r.Status, &r.Error,
		&result, &started, &finished); err != nil {
		return nil, err
	}
	r.StartedAt, r.FinishedAt = parseTime(started), parseTime(finished)
	if r.Status != subscribers.ImportRunning && result != "{}" {
		r.Result = &subscribers.ImportResult{}
		if err := json.Unmarshal([]byte(result), r.Result); err != nil {
			return nil, fmt.Errorf("decode result of import %d: %w", r.ID, err)
		}
	}
	return &r, nil
}

// FindImportRecords returns the latest imports, newest first.
func (s *Store) FindImportRecords(ctx context.Context, limit int) ([]subscribers.ImportRecord, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+importColumns+` FROM imports ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find imports: %w", err)
	}
	defer rows.Close()
	var out []subscribers.ImportRecord
	for rows.Next() {
		r, err := scanImportRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("find imports: %w", err)
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// FindImportRecord returns one import or ErrNotFound.
func (s *Store) FindImportRecord(ctx context.Context, id int64) (*subscribers.ImportRecord, error) {
	r, err := scanImportRecord(s.db.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("import %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find import %d: %w", id, err)
	}
	return r, nil
}

// FindImportInvalidRows calls fn for each invalid row an import kept, in
// line order.
func (s *Store) FindImportInvalidRows(ctx context.Context, id int64, fn func(subscribers.InvalidRow) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT line, value, reason FROM import_invalid_rows WHERE import_id = ? ORDER BY line`, id)
	if err != nil {
		return fmt.Errorf("find invalid rows of import %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r subscribers.InvalidRow
		if err := rows.Scan(&r.Line, &r.Value, &r.Error); err != nil {
			return fmt.Errorf("find invalid rows of import %d: %w", id, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
