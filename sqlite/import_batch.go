package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// batchWriter applies batches of import rows, one transaction each.
type batchWriter struct {
	s      *Store
	conn   *sql.Conn
	cfg    subscribers.ImportConfig
	listID int64
	res    *subscribers.ImportResult
	// created holds the id ranges of subscribers this import inserted, one
	// per batch: ids are contiguous inside a batch because the batch holds
	// the write lock. It identifies in-file duplicates without keeping every
	// address in memory.
	created [][2]int64
}

// on returns where a batch's statements run: its transaction, or the
// import's connection in a dry run. Compiled statements are reused by the
// driver's per-connection statement cache (_stmt_cache_size in Open).
func (w *batchWriter) on(tx *sql.Tx) queryer {
	if tx != nil {
		return tx
	}
	return w.conn
}

func (w *batchWriter) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	return w.on(tx).QueryContext(ctx, query, args...)
}

func (w *batchWriter) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	_, err := w.on(tx).ExecContext(ctx, query, args...)
	return err
}

// Chunk sizes keep each statement well under SQLite's variable limit.
const (
	lookupChunk = 500
	insertChunk = 100
)

type existingSub struct {
	id     int64
	name   string
	attrs  string
	status subscribers.Status
}

// write applies one batch in one transaction (none in a dry run, which
// only counts).
func (w *batchWriter) write(ctx context.Context, batch []importRow) error {
	var tx *sql.Tx // nil in a dry run: statements then run on the connection
	if !w.cfg.DryRun {
		var err error
		tx, err = w.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("import: begin: %w", err)
		}
		defer tx.Rollback()
	}
	p, err := w.plan(ctx, tx, batch)
	if err != nil {
		return err
	}
	create := w.countFresh(p)
	for _, row := range p.known {
		if err := w.applyKnown(ctx, tx, p, row); err != nil {
			return err
		}
	}
	if tx == nil {
		return nil
	}
	if err := w.insert(ctx, tx, create); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

// batchPlan is a batch sorted against what is stored.
type batchPlan struct {
	existing  map[string]existingSub // stored subscribers by normal address
	known     []importRow            // rows of subscribers stored before the import
	fresh     []importRow            // rows of addresses not stored
	removed   map[string]bool        // fresh addresses removed earlier, which stay out
	subStatus map[int64]subscribers.SubscriptionStatus
}

// plan splits the batch: rows this import already created earlier are
// in-file duplicates; rows that existed before the import must be
// remembered so a later repeat is a duplicate too; the rest are new. In a
// dry run nothing is created, so new rows are remembered the same way.
func (w *batchWriter) plan(ctx context.Context, q *sql.Tx, batch []importRow) (*batchPlan, error) {
	existing, err := w.lookup(ctx, q, batch)
	if err != nil {
		return nil, err
	}
	p := &batchPlan{existing: existing}
	for _, row := range batch {
		ex, ok := existing[row.norm]
		switch {
		case ok && w.createdHere(ex.id):
			w.res.Duplicates++
		case ok:
			p.known = append(p.known, row)
		default:
			p.fresh = append(p.fresh, row)
		}
	}
	if p.known, err = w.dedupe(ctx, q, p.known); err != nil {
		return nil, err
	}
	if q == nil {
		if p.fresh, err = w.dedupe(ctx, q, p.fresh); err != nil {
			return nil, err
		}
	}
	if p.removed, err = w.removed(ctx, q, p.fresh); err != nil {
		return nil, err
	}
	if p.subStatus, err = w.subscriptions(ctx, q, existing); err != nil {
		return nil, err
	}
	return p, nil
}

// countFresh counts the new rows and returns those to create: suppressed
// ones too, kept suppressed so that a later import cannot add them, but
// not addresses removed earlier.
func (w *batchWriter) countFresh(p *batchPlan) []importRow {
	create := p.fresh[:0:0]
	for _, row := range p.fresh {
		switch {
		case p.removed[row.norm]:
			w.res.Suppressed++
		case row.status.Suppressed():
			w.res.Suppressed++
			create = append(create, row)
		default:
			w.res.Added++
			create = append(create, row)
		}
	}
	return create
}

// applyKnown applies a row of a subscriber stored before the import. It
// never reactivates a suppressed subscriber, nor one who left the list.
func (w *batchWriter) applyKnown(ctx context.Context, tx *sql.Tx, p *batchPlan, row importRow) error {
	ex := p.existing[row.norm]
	switch {
	case ex.status.Suppressed():
		w.res.Suppressed++
		return nil
	case row.status.Suppressed():
		// The source says this person must not be mailed: honour it.
		w.res.Suppressed++
		if tx == nil {
			return nil
		}
		sub := &subscribers.Subscriber{ID: ex.id, Email: row.email, Status: ex.status}
		return w.s.setStatus(ctx, tx, sub, row.status, subscribers.Event{Actor: w.cfg.Actor, Reason: "status column says " + string(row.status)})
	}
	st, member := p.subStatus[ex.id]
	if member && st == subscribers.Unsubscribed {
		w.res.Suppressed++
		return nil
	}
	// A form request still waiting for confirmation is subscribed on the
	// import's basis, as AddSubscriber does.
	changed, err := w.existing(ctx, tx, row, ex, !member || st == subscribers.Unconfirmed)
	var ir *invalidRowError
	if errors.As(err, &ir) {
		w.invalid(row, ir.reason)
		return nil
	}
	if err != nil {
		return err
	}
	if changed {
		w.res.Updated++
	} else {
		w.res.Unchanged++
	}
	return nil
}

// invalidRowError is a row found invalid only against what is stored.
type invalidRowError struct{ reason string }

func (e *invalidRowError) Error() string { return e.reason }

func (w *batchWriter) invalid(row importRow, reason string) {
	w.res.InvalidCount++
	if len(w.res.Invalid) < w.cfg.MaxErrors {
		w.res.Invalid = append(w.res.Invalid, subscribers.InvalidRow{Line: row.line, Value: row.email, Error: reason})
	}
}

// createdHere reports whether this import created subscriber id.
func (w *batchWriter) createdHere(id int64) bool {
	for _, r := range w.created {
		if id >= r[0] && id <= r[1] {
			return true
		}
	}
	return false
}

// dedupe drops rows whose address appeared in an earlier batch.
func (w *batchWriter) dedupe(ctx context.Context, q *sql.Tx, batch []importRow) ([]importRow, error) {
	fresh := make(map[string]bool, len(batch))
	for start := 0; start < len(batch); start += lookupChunk {
		chunk := batch[start:min(start+lookupChunk, len(batch))]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r.norm
		}
		rows, err := w.query(ctx, q, `INSERT INTO temp.import_seen (email) VALUES `+placeholders(len(chunk), 1)+
			` ON CONFLICT DO NOTHING RETURNING email`, args...)
		if err != nil {
			return nil, fmt.Errorf("import: track duplicates: %w", err)
		}
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				rows.Close()
				return nil, err
			}
			fresh[e] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import: track duplicates: %w", err)
		}
	}
	out := batch[:0:0]
	for _, r := range batch {
		if fresh[r.norm] {
			out = append(out, r)
		} else {
			w.res.Duplicates++
		}
	}
	return out, nil
}

func (w *batchWriter) lookup(ctx context.Context, q *sql.Tx, batch []importRow) (map[string]existingSub, error) {
	out := make(map[string]existingSub)
	for start := 0; start < len(batch); start += lookupChunk {
		chunk := batch[start:min(start+lookupChunk, len(batch))]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r.norm
		}
		rows, err := w.query(ctx, q, `SELECT id, email_norm, name, attributes, status FROM subscribers
			WHERE email_norm IN (`+inList(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("import: look up subscribers: %w", err)
		}
		for rows.Next() {
			var e existingSub
			var norm string
			if err := rows.Scan(&e.id, &norm, &e.name, &e.attrs, &e.status); err != nil {
				rows.Close()
				return nil, err
			}
			out[norm] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import: look up subscribers: %w", err)
		}
	}
	return out, nil
}

// removed finds the new rows whose address was removed earlier and so must
// stay out.
func (w *batchWriter) removed(ctx context.Context, q *sql.Tx, batch []importRow) (map[string]bool, error) {
	var has int
	rows, err := w.query(ctx, q, `SELECT EXISTS (SELECT 1 FROM suppressions)`)
	if err != nil {
		return nil, fmt.Errorf("import: check suppressions: %w", err)
	}
	rows.Next()
	err = rows.Scan(&has)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("import: check suppressions: %w", err)
	}
	out := map[string]bool{}
	if has == 0 {
		return out, nil
	}
	byHash := map[string]string{}
	for _, r := range batch {
		byHash[subscribers.SuppressionHash(r.norm)] = r.norm
	}
	hashes := make([]any, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, h)
	}
	for start := 0; start < len(hashes); start += lookupChunk {
		chunk := hashes[start:min(start+lookupChunk, len(hashes))]
		rows, err := w.query(ctx, q, `SELECT email_hash FROM suppressions WHERE email_hash IN (`+inList(len(chunk))+`)`, chunk...)
		if err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			out[byHash[h]] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
	}
	return out, nil
}

func (w *batchWriter) subscriptions(ctx context.Context, q *sql.Tx, existing map[string]existingSub) (map[int64]subscribers.SubscriptionStatus, error) {
	out := map[int64]subscribers.SubscriptionStatus{}
	if w.listID == 0 || len(existing) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(existing))
	for _, e := range existing {
		ids = append(ids, e.id)
	}
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		args := append([]any{w.listID}, chunk...)
		rows, err := w.query(ctx, q, `SELECT subscriber_id, status FROM subscriptions
			WHERE list_id = ? AND subscriber_id IN (`+inList(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("import: look up subscriptions: %w", err)
		}
		for rows.Next() {
			var id int64
			var st subscribers.SubscriptionStatus
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import: look up subscriptions: %w", err)
		}
	}
	return out, nil
}

// existing handles a known, active subscriber: joins the list if needed and,
// with Update, takes the file's name and attributes. tx is nil in a dry run.
func (w *batchWriter) existing(ctx context.Context, tx *sql.Tx, row importRow, ex existingSub, join bool) (bool, error) {
	changed := join
	var newName, newAttrs string
	if w.cfg.Update {
		var cur map[string]any
		if err := json.Unmarshal([]byte(ex.attrs), &cur); err != nil {
			cur = map[string]any{}
		}
		merged := maps.Clone(cur)
		if merged == nil {
			merged = map[string]any{}
		}
		var fromFile map[string]any
		if err := json.Unmarshal([]byte(row.json), &fromFile); err != nil {
			return false, fmt.Errorf("import: line %d: attributes: %w", row.line, err)
		}
		maps.Copy(merged, fromFile)
		newName = ex.name
		if row.name != "" {
			newName = row.name
		}
		if newName != ex.name || !reflect.DeepEqual(merged, cur) {
			changed = true
			js, err := json.Marshal(merged)
			if err != nil {
				return false, fmt.Errorf("import: encode attributes: %w", err)
			}
			// Each row is under the limit, but merged into what is stored
			// they may not be.
			if len(js) > w.cfg.Limits.MaxAttributesBytes {
				return false, &invalidRowError{reason: subscribers.AttributesTooLong(len(js), w.cfg.Limits.MaxAttributesBytes) + "; the row was skipped" +
					" (merged with the stored attributes)"}
			}
			newAttrs = string(js)
		}
	}
	if tx == nil || !changed {
		return changed, nil
	}
	if join {
		if _, err := w.s.subscribe(ctx, tx, ex.id, w.listID, w.cfg.Source, w.cfg.Basis, w.cfg.Actor); err != nil {
			return false, err
		}
	}
	if newAttrs != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET name = ?, attributes = ?, updated_at = ? WHERE id = ?`,
			newName, newAttrs, formatTime(w.s.now()), ex.id); err != nil {
			return false, fmt.Errorf("import: update %s: %w", row.email, err)
		}
		if err := w.s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: ex.id, Type: subscribers.EventUpdated, Actor: w.cfg.Actor}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// insert creates new subscribers with multi-row statements, then derives
// their subscriptions and "created" events from the id range in one
// statement each, so the per-row cost is a single bound INSERT.
func (w *batchWriter) insert(ctx context.Context, tx *sql.Tx, rows []importRow) error {
	if len(rows) == 0 {
		return nil
	}
	now := formatTime(w.s.now())
	var before int64
	if err := tx.QueryRowContext(ctx, `SELECT `+lastSubscriberID).Scan(&before); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args := make([]any, 2, 2+len(chunk)*5)
		args[0], args[1] = now, before+int64(start)
		for _, r := range chunk {
			args = append(args, r.email, r.norm, r.name, r.json, string(r.status))
		}
		if err := w.exec(ctx, tx, `INSERT INTO subscribers (id, email, email_norm, name, attributes, status, created_at, updated_at)
			VALUES `+insertRows(len(chunk)), args...); err != nil {
			return fmt.Errorf("import: insert subscribers: %w", err)
		}
	}
	var after int64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM subscribers`).Scan(&after); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if after-before != int64(len(rows)) {
		return fmt.Errorf("import: inserted ids %d..%d are not contiguous for %d rows", before+1, after, len(rows))
	}
	if err := w.exec(ctx, tx, `INSERT INTO subscriptions (list_id, subscriber_id, source, consented_at, updated_at, basis)
		SELECT ?, id, ?, ?, ?, ? FROM subscribers WHERE id > ? AND id <= ? AND status = `+sqlActive,
		w.listID, w.cfg.Source, now, now, w.cfg.Basis, before, after); err != nil {
		return fmt.Errorf("import: insert subscriptions: %w", err)
	}
	if err := w.exec(ctx, tx, `INSERT INTO events (subscriber_id, list_id, type, new_status, actor, created_at)
		SELECT id, CASE status WHEN `+sqlActive+` THEN ? END, `+sqlEventCreated+`, status, ?, ? FROM subscribers WHERE id > ? AND id <= ?`,
		w.listID, w.cfg.Actor, now, before, after); err != nil {
		return fmt.Errorf("import: record events: %w", err)
	}
	w.created = append(w.created, [2]int64{before + 1, after})
	return nil
}

// insertRowsFull is insertRows(insertChunk), built once.
var insertRowsFull = buildInsertRows(insertChunk)

// insertRows returns n "(?2 + 1, ?3, ?4, ?5, ?6, ?7, ?1, ?1)" groups with
// consecutive numbers: ?1 is the shared timestamp and ?2 the id before the
// chunk's first, each bound once. The ids are given, not left to SQLite,
// which would reuse a removed subscriber's (lastSubscriberID).
func insertRows(n int) string {
	if n == insertChunk {
		return insertRowsFull
	}
	return buildInsertRows(n)
}

func buildInsertRows(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		p := 3 + i*5
		fmt.Fprintf(&b, "(?2 + %d, ?%d, ?%d, ?%d, ?%d, ?%d, ?1, ?1)", i+1, p, p+1, p+2, p+3, p+4)
	}
	return b.String()
}

// placeholders returns "(?, ?), (?, ?)" for n rows of k columns.
func placeholders(n, k int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// inList returns "?, ?, ?" for n values.
func inList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
