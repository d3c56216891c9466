package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
)

// countMoves adds up what one transaction's changes of delivery status do
// to the kept counts of migration 0014 (campaign_counts, campaign_minutes,
// campaign_domains), and writes them when the transaction is about to
// commit: one write per campaign, not one per delivery (the minutes and
// domains wait in it, count_pending.go).
// Migration 0022 dropped the triggers that did so per row; on the send
// path they cost more than the rest of the ledger's writes.
//
// The rules are the triggers' own, and TestCountMovesMatchTheTriggers
// holds them to it: a change counts only when the status changes; the
// timeline and the domains count deliveries becoming sent or failed and
// deferrals (sending to deferred with the attempt kept); the domains also
// take back a sent or failed delivery that moves on.
type countMoves struct {
	counts  map[int64]*statusCounts
	minutes map[rowKey]*settledCounts // key: the minute
	domains map[rowKey]*settledCounts // key: the domain
}

type statusCounts struct {
	n           [len(countedStatuses)]int64
	first, last string // sent_at extremes among deliveries becoming sent
}

type settledCounts struct{ sent, deferred, failed int64 }

func (c settledCounts) zero() bool { return c == settledCounts{} }

// rowKey is a row of campaign_minutes (key: the minute) or
// campaign_domains (key: the domain).
type rowKey struct {
	campaign int64
	key      string
}

// countedStatuses are the columns of campaign_counts, in order.
var countedStatuses = [...]subscribers.DeliveryStatus{subscribers.DeliveryQueued, subscribers.DeliverySending,
	subscribers.DeliverySent, subscribers.DeliveryDeferred, subscribers.DeliveryFailed, subscribers.DeliverySkipped}

// countMove is one delivery's change of status. domain is its recipient's
// (domainOf); at is the time the change stamps: sent_at for a delivery
// becoming sent, updated_at otherwise.
type countMove struct {
	campaign    int64
	domain      string
	from, to    subscribers.DeliveryStatus
	keptAttempt bool // attempts did not change
	at          string
}

func (m *countMoves) status(campaign int64) *statusCounts {
	if m.counts == nil {
		m.counts = map[int64]*statusCounts{}
	}
	c := m.counts[campaign]
	if c == nil {
		c = &statusCounts{}
		m.counts[campaign] = c
	}
	return c
}

func (c *statusCounts) add(st subscribers.DeliveryStatus, n int64) {
	if i := slices.Index(countedStatuses[:], st); i >= 0 {
		c.n[i] += n
	}
}

// deferral says whether a move is a reply that deferred the message.
func (mv countMove) deferral() bool {
	return mv.from == subscribers.DeliverySending && mv.to == subscribers.DeliveryDeferred && mv.keptAttempt
}

func settles(st subscribers.DeliveryStatus) bool {
	return st == subscribers.DeliverySent || st == subscribers.DeliveryFailed
}

// settledDelta is what n moves add to a per-domain row: the deliveries
// sent and failed now, and the deferrals so far.
func settledDelta(from, to subscribers.DeliveryStatus, n int64) settledCounts {
	var d settledCounts
	switch from {
	case subscribers.DeliverySent:
		d.sent -= n
	case subscribers.DeliveryFailed:
		d.failed -= n
	}
	switch to {
	case subscribers.DeliverySent:
		d.sent += n
	case subscribers.DeliveryFailed:
		d.failed += n
	}
	if from == subscribers.DeliverySending && to == subscribers.DeliveryDeferred {
		d.deferred += n
	}
	return d
}

func (c *settledCounts) addTo(d settledCounts) {
	c.sent += d.sent
	c.deferred += d.deferred
	c.failed += d.failed
}

// add records one move.
func (m *countMoves) add(mv countMove) {
	if mv.from == mv.to {
		return
	}
	c := m.status(mv.campaign)
	c.add(mv.from, -1)
	c.add(mv.to, 1)
	if mv.to == subscribers.DeliverySent {
		if c.first == "" || mv.at < c.first {
			c.first = mv.at
		}
		if mv.at > c.last {
			c.last = mv.at
		}
	}
	if !settles(mv.to) && !settles(mv.from) && !mv.deferral() {
		return
	}
	if settles(mv.to) || mv.deferral() {
		row := m.minute(mv.campaign, mv.at[:min(len(mv.at), len("2006-01-02T15:04"))])
		switch {
		case mv.to == subscribers.DeliverySent:
			row.sent++
		case mv.to == subscribers.DeliveryFailed:
			row.failed++
		default:
			row.deferred++
		}
	}
	m.domain(mv.campaign, mv.domain).addTo(settledDelta(mv.from, mv.to, 1))
}

// addAll records moves.
func (m *countMoves) addAll(moves []countMove) {
	for _, mv := range moves {
		m.add(mv)
	}
}

func (m *countMoves) domain(campaign int64, domain string) *settledCounts {
	return settledRow(&m.domains, rowKey{campaign, domain})
}

func (m *countMoves) minute(campaign int64, minute string) *settledCounts {
	return settledRow(&m.minutes, rowKey{campaign, minute})
}

// settledRow returns the row of *rows at k, making both as needed.
func settledRow(rows *map[rowKey]*settledCounts, k rowKey) *settledCounts {
	if *rows == nil {
		*rows = map[rowKey]*settledCounts{}
	}
	c := (*rows)[k]
	if c == nil {
		c = &settledCounts{}
		(*rows)[k] = c
	}
	return c
}

// addBulk records n deliveries of one campaign and domain moving from one
// status to another without a time: to queued or skipped, which no
// timeline counts.
func (m *countMoves) addBulk(campaign int64, domain string, from, to subscribers.DeliveryStatus, n int64) {
	if from == to || n == 0 {
		return
	}
	c := m.status(campaign)
	c.add(from, -n)
	c.add(to, n)
	if !settles(from) && !settles(to) {
		return
	}
	m.domain(campaign, domain).addTo(settledDelta(from, to, n))
}

// domainOf is the recipient domain as migration 0014 reads it from an
// address: lower-cased (ASCII) after the first '@'.
const domainOf = `lower(substr(email, instr(email, '@') + 1))`

// readMoves records the moves that an UPDATE of the deliveries matching
// where (over deliveries d) to status to is about to make, and returns
// how many deliveries it will move. to must be queued or skipped (see
// addBulk).
func (m *countMoves) readMoves(ctx context.Context, tx *sql.Tx, where string, args []any, to subscribers.DeliveryStatus) (int64, error) {
	if settles(to) || to == subscribers.DeliveryDeferred || to == subscribers.DeliverySending {
		return 0, fmt.Errorf("count moves to %s: only moves to queued or skipped are counted in bulk", to)
	}
	rows, err := tx.QueryContext(ctx, `SELECT d.campaign_id, d.status,
			CASE WHEN d.status IN (`+sqlSent+`, `+sqlFailed+`)
			     THEN COALESCE((SELECT `+domainOf+` FROM subscribers WHERE id = d.subscriber_id), '') ELSE '' END,
			count(*)
		FROM deliveries d WHERE `+where+` GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return 0, fmt.Errorf("count moves: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var campaign, n int64
		var from subscribers.DeliveryStatus
		var domain string
		if err := rows.Scan(&campaign, &from, &domain, &n); err != nil {
			return 0, fmt.Errorf("count moves: %w", err)
		}
		m.addBulk(campaign, domain, from, to, n)
		total += n
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count moves: %w", err)
	}
	return total, nil
}

// write adds the recorded moves to the kept counts, in tx: one update of
// each campaign's campaign_counts row, which takes the per-minute and
// per-domain changes as pending ones (count_pending.go).
func (m *countMoves) write(ctx context.Context, s *Store, tx queryer) error {
	for _, campaign := range m.campaigns() {
		c := m.counts[campaign]
		if c == nil {
			c = &statusCounts{}
		}
		pending := m.pending(campaign)
		if c.n == [len(countedStatuses)]int64{} && c.first == "" && pending == "" {
			continue
		}
		var first, last any
		if c.first != "" {
			first, last = c.first, c.last
		}
		// Like the trigger, an update: the row was made when the campaign's
		// deliveries were inserted.
		var n int
		err := tx.QueryRowContext(ctx, `UPDATE campaign_counts SET
			queued = queued + ?1, sending = sending + ?2, sent = sent + ?3, deferred = deferred + ?4, failed = failed + ?5, skipped = skipped + ?6,
			first_sent_at = CASE WHEN ?7 IS NOT NULL AND (first_sent_at IS NULL OR ?7 < first_sent_at) THEN ?7 ELSE first_sent_at END,
			last_sent_at = CASE WHEN ?8 IS NOT NULL AND (last_sent_at IS NULL OR ?8 > last_sent_at) THEN ?8 ELSE last_sent_at END,
			pending = pending || ?9
			WHERE campaign_id = ?10 RETURNING length(pending)`, c.n[0], c.n[1], c.n[2], c.n[3], c.n[4], c.n[5], first, last, pending, campaign).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			continue // no deliveries were ever inserted: nothing to count
		}
		if err != nil {
			return fmt.Errorf("keep campaign counts: %w", err)
		}
		if n > s.foldPendingAt() {
			if err := foldPending(ctx, tx, campaign); err != nil {
				return err
			}
		}
	}
	return nil
}

// campaigns returns the campaigns that the moves change, in order.
func (m *countMoves) campaigns() []int64 {
	set := map[int64]bool{}
	for c := range m.counts {
		set[c] = true
	}
	for k := range m.minutes {
		set[k.campaign] = true
	}
	for k := range m.domains {
		set[k.campaign] = true
	}
	return sortedKeys(set, func(a, b int64) int { return cmp.Compare(a, b) })
}

// settledUpsert adds one row's counts to table, whose key column is col.
func settledUpsert(table, col string) string {
	return `INSERT INTO ` + table + ` (campaign_id, ` + col + `, sent, deferred, failed)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (campaign_id, ` + col + `) DO UPDATE SET
				sent = sent + excluded.sent, deferred = deferred + excluded.deferred, failed = failed + excluded.failed`
}

var (
	upsertMinute = settledUpsert("campaign_minutes", "minute")
	upsertDomain = settledUpsert("campaign_domains", "domain")
)

// upsertSettled runs q (upsertMinute or upsertDomain) for each of rows,
// in key order.
func upsertSettled(ctx context.Context, tx queryer, q string, rows map[rowKey]*settledCounts) error {
	for _, k := range sortedKeys(rows, compareRowKeys) {
		c := rows[k]
		if c.zero() {
			continue
		}
		if _, err := tx.ExecContext(ctx, q, k.campaign, k.key, c.sent, c.deferred, c.failed); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys returns m's keys in order, so that a transaction writes the
// same rows in the same order whatever the maps' order.
func sortedKeys[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	return keys
}

// moveDeliveries runs update, an UPDATE that moves the deliveries matching
// where (over deliveries d, with whereArgs) to status to, and keeps the
// counts in the same transaction. It returns how many it moved.
func (s *Store) moveDeliveries(ctx context.Context, tx *sql.Tx, to subscribers.DeliveryStatus,
	where string, whereArgs []any, update string, args ...any) (int64, error) {
	var moves countMoves
	want, err := moves.readMoves(ctx, tx, where, whereArgs, to)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n != want {
		// Same transaction, same condition: this is a bug in the caller.
		return 0, fmt.Errorf("count moves: %d deliveries to move to %s, %d moved", want, to, n)
	}
	return n, moves.write(ctx, s, tx)
}

// jsonInts is ids as a JSON array, for json_each.
func jsonInts(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
