package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// FindStatusCounts returns the number of subscribers in each status, from
// the counts the triggers of migration 0012 keep.
func (s *Store) FindStatusCounts(ctx context.Context) (subscribers.StatusCounts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, n FROM subscriber_counts`)
	if err != nil {
		return nil, fmt.Errorf("count subscribers by status: %w", err)
	}
	defer rows.Close()
	out := subscribers.StatusCounts{}
	for _, st := range subscribers.Statuses {
		out[st] = 0
	}
	for rows.Next() {
		var st subscribers.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count subscribers by status: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// CheckCounts recounts subscribers and list members the slow way and
// reports any maintained count that disagrees (nil when all agree).
func (s *Store) CheckCounts(ctx context.Context) error {
	var problems []string
	rows, err := s.db.QueryContext(ctx, `
		SELECT c.status, c.n, (SELECT COUNT(*) FROM subscribers s WHERE s.status = c.status)
		FROM subscriber_counts c WHERE c.n <> (SELECT COUNT(*) FROM subscribers s WHERE s.status = c.status)`)
	if err != nil {
		return fmt.Errorf("check counts: %w", err)
	}
	for rows.Next() {
		var st string
		var kept, real int
		if err := rows.Scan(&st, &kept, &real); err != nil {
			rows.Close()
			return err
		}
		problems = append(problems, fmt.Sprintf("%s subscribers: kept %d, counted %d", st, kept, real))
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `
		SELECT l.id, COALESCE(c.subscribed, -1), COALESCE(c.unsubscribed, -1), COALESCE(c.active, -1),
		       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = `+sqlSubscribed+`),
		       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = `+sqlUnsubscribed+`),
		       (SELECT COUNT(*) FROM subscriptions ss JOIN subscribers s ON s.id = ss.subscriber_id
		        WHERE ss.list_id = l.id AND ss.status = `+sqlSubscribed+` AND s.status = `+sqlActive+`)
		FROM lists l LEFT JOIN list_counts c ON c.list_id = l.id`)
	if err != nil {
		return fmt.Errorf("check counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k [3]int
		var r [3]int
		if err := rows.Scan(&id, &k[0], &k[1], &k[2], &r[0], &r[1], &r[2]); err != nil {
			return err
		}
		if k != r {
			problems = append(problems, fmt.Sprintf("list %d: kept subscribed/unsubscribed/active %v, counted %v", id, k, r))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("maintained counts disagree: %s", strings.Join(problems, "; "))
	}
	return nil
}

// SearchSubscribers returns one page of subscribers matching q. Each page
// is one or two indexed range scans whatever the page number (keyset
// pagination): no query sorts or counts its matches.
func (s *Store) SearchSubscribers(ctx context.Context, q subscribers.SubscriberQuery) (*subscribers.SubscriberPage, error) {
	if q.Status != "" {
		if _, err := subscribers.ParseStatus(string(q.Status)); err != nil {
			return nil, fmt.Errorf("%w: %v", subscribers.ErrInvalid, err)
		}
	}
	if strings.TrimSpace(q.Search) != "" {
		return s.searchSubscribers(ctx, q)
	}
	return s.listSubscribers(ctx, q)
}

// filters returns the list and status conditions on s.
func queryFilters(q subscribers.SubscriberQuery) ([]string, []any) {
	var where []string
	var args []any
	if q.Status != "" {
		where = append(where, `s.status = ?`)
		args = append(args, q.Status)
		if q.Status != subscribers.StatusActive {
			// Lets SQLite use the partial indexes on suppressed rows.
			where = append(where, `s.status <> `+sqlActive)
		}
	}
	if q.ListID != 0 {
		where = append(where, `EXISTS (SELECT 1 FROM subscriptions x WHERE x.list_id = ? AND x.subscriber_id = s.id)`)
		args = append(args, q.ListID)
	}
	return where, args
}

// listSubscribers pages through everyone (or a list, or a status), newest
// first. A list is walked through its subscriptions, except with a
// suppressed status: those few are walked through their own index and
// checked for membership.
func (s *Store) listSubscribers(ctx context.Context, q subscribers.SubscriberQuery) (*subscribers.SubscriberPage, error) {
	n := pageLimit(q.Limit)
	after, err := decodeIDCursor(q.After)
	if err != nil {
		return nil, err
	}
	var query string
	var args []any
	if q.ListID != 0 && (q.Status == "" || q.Status == subscribers.StatusActive) {
		where := []string{`x.list_id = ?`}
		args = append(args, q.ListID)
		if q.Status != "" {
			where = append(where, `s.status = ?`)
			args = append(args, q.Status)
		}
		if after != 0 {
			where = append(where, `x.subscriber_id < ?`)
			args = append(args, after)
		}
		query = `SELECT ` + subscriberColumns + ` FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
			WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY x.subscriber_id DESC LIMIT ?`
	} else {
		where, fargs := queryFilters(q)
		args = fargs
		if after != 0 {
			where = append(where, `s.id < ?`)
			args = append(args, after)
		}
		w := ``
		if len(where) > 0 {
			w = ` WHERE ` + strings.Join(where, ` AND `)
		}
		query = `SELECT ` + subscriberColumns + ` FROM subscribers s` + w + ` ORDER BY s.id DESC LIMIT ?`
	}
	subs, err := s.querySubscribers(ctx, query, append(args, n+1)...)
	if err != nil {
		return nil, err
	}
	page := &subscribers.SubscriberPage{Subscribers: subs}
	if len(subs) > n {
		page.Subscribers = subs[:n]
		page.Next = encodeCursor('i', strconv.FormatInt(subs[n-1].ID, 10))
	}
	if page.Total, err = s.countMatches(ctx, q); err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Store) querySubscribers(ctx context.Context, query string, args ...any) ([]*subscribers.Subscriber, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search subscribers: %w", err)
	}
	defer rows.Close()
	var out []*subscribers.Subscriber
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("search subscribers: %w", err)
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search subscribers: %w", err)
	}
	return out, nil
}

// searchSubscribers finds addresses and names starting with the search
// term. Each kind of match is a range of its own index, read in index
// order; the two are merged by the text that matched (so "ada@…" and "Ada
// Lovelace" sort together). The cursor is that text and the id.
func (s *Store) searchSubscribers(ctx context.Context, q subscribers.SubscriberQuery) (*subscribers.SubscriberPage, error) {
	ps := &prefixSearch{q: q, n: pageLimit(q.Limit)}
	var err error
	if ps.afterKey, ps.afterID, err = decodeKeyCursor(q.After); err != nil {
		return nil, err
	}
	term := strings.TrimSpace(q.Search)
	ps.emailLo, ps.emailHi = prefixRange(strings.ToLower(term))
	if err := s.scanPrefix(ctx, ps, `s.email_norm`, ``, false, ps.emailLo, ps.emailHi); err != nil {
		return nil, err
	}
	if !strings.Contains(term, "@") {
		// lower() on both sides: SQLite's, which folds ASCII only.
		if err := s.db.QueryRowContext(ctx, `SELECT lower(?), lower(?)`, term, term+"\U0010FFFF").Scan(&ps.nameLo, &ps.nameHi); err != nil {
			return nil, fmt.Errorf("search subscribers: %w", err)
		}
		if err := s.scanPrefix(ctx, ps, `lower(s.name)`, `s.name <> ''`, true, ps.nameLo, ps.nameHi); err != nil {
			return nil, err
		}
	}
	return ps.page(), nil
}

// searchHit is a subscriber a prefix scan found, with the text that matched.
type searchHit struct {
	key    string
	byName bool
	sub    *subscribers.Subscriber
}

// less orders hits as the page shows them: by the text, then the id.
func (h searchHit) less(o searchHit) bool {
	return h.key < o.key || (h.key == o.key && h.sub.ID < o.sub.ID)
}

// prefixSearch is one page of a search: the scans' ranges and what they
// found.
type prefixSearch struct {
	q                subscribers.SubscriberQuery
	n                int    // page size
	afterKey         string // the cursor: the text and id last shown
	afterID          int64
	emailLo, emailHi string // the range of the address scan
	nameLo, nameHi   string // the range of the name scan; empty when not run
	hits             []searchHit
	// sentinels holds, for each scan that found more than a page, its
	// last row: nothing at or past it can be shown before the next query.
	sentinels []searchHit
}

// scanPrefix reads up to a page and one more of the rows whose keyExpr
// falls in [lo, hi), after the cursor, in index order.
func (s *Store) scanPrefix(ctx context.Context, ps *prefixSearch, keyExpr, extra string, byName bool, lo, hi string) error {
	where := []string{keyExpr + ` >= ?`, keyExpr + ` < ?`}
	args := []any{max(lo, ps.afterKey), hi}
	if extra != "" {
		where = append(where, extra)
	}
	if ps.afterKey != "" {
		where = append(where, `(`+keyExpr+` > ? OR s.id > ?)`)
		args = append(args, ps.afterKey, ps.afterID)
	}
	fw, fargs := queryFilters(ps.q)
	where = append(where, fw...)
	args = append(args, fargs...)
	args = append(args, ps.n+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyExpr+`, `+subscriberColumns+` FROM subscribers s
		WHERE `+strings.Join(where, ` AND `)+` ORDER BY `+keyExpr+`, s.id LIMIT ?`, args...)
	if err != nil {
		return fmt.Errorf("search subscribers: %w", err)
	}
	defer rows.Close()
	count := 0
	for rows.Next() {
		h := searchHit{byName: byName}
		sub, err := scanSubscriber(prefixScanner{rows, &h.key})
		if err != nil {
			return fmt.Errorf("search subscribers: %w", err)
		}
		h.sub = sub
		count++
		if count > ps.n {
			ps.sentinels = append(ps.sentinels, h)
			break
		}
		ps.hits = append(ps.hits, h)
	}
	return rows.Err()
}

// repeat reports a subscriber found by both scans under the larger of its
// two texts: it is shown under the smaller one, on this page or an earlier
// one.
func (ps *prefixSearch) repeat(h searchHit) bool {
	if ps.nameHi == "" {
		return false
	}
	email, name := strings.ToLower(h.sub.Email), asciiLower(h.sub.Name)
	if h.byName {
		return email >= ps.emailLo && email < ps.emailHi && email <= name
	}
	return h.sub.Name != "" && name >= ps.nameLo && name < ps.nameHi && name < email
}

// page merges the scans' hits into a page, stopping at a page's worth or
// at the first hit a scan may have cut short.
func (ps *prefixSearch) page() *subscribers.SubscriberPage {
	slices.SortFunc(ps.hits, func(a, b searchHit) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.sub.ID, b.sub.ID)
	})
	page := &subscribers.SubscriberPage{Total: -1}
	var last *searchHit
	more := len(ps.sentinels) > 0
	for i := range ps.hits {
		h := ps.hits[i]
		stop := len(page.Subscribers) == ps.n
		for _, sn := range ps.sentinels {
			if !h.less(sn) {
				stop = true
			}
		}
		if stop {
			more = true
			break
		}
		last = &ps.hits[i]
		if !ps.repeat(h) {
			page.Subscribers = append(page.Subscribers, h.sub)
		}
	}
	if more && last != nil {
		page.Next = encodeCursor('k', last.key+"\x00"+strconv.FormatInt(last.sub.ID, 10))
	}
	return page
}

// asciiLower is SQLite's lower(): ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// prefixScanner scans a leading key column, then the subscriber columns.
type prefixScanner struct {
	rows *sql.Rows
	key  *string
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.rows.Scan(append([]any{p.key}, dest...)...)
}

// decodeKeyCursor reads a search cursor: the text the last row shown
// matched and its subscriber id (empty and 0 for the first page).
func decodeKeyCursor(c string) (key string, id int64, err error) {
	k, err := decodeCursor(c, 'k')
	if err != nil || k == "" {
		return "", 0, err
	}
	key, idText, ok := strings.Cut(k, "\x00")
	id, perr := strconv.ParseInt(idText, 10, 64)
	if !ok || perr != nil {
		return "", 0, fmt.Errorf("%w: page cursor %q is not from this listing", subscribers.ErrInvalid, c)
	}
	return key, id, nil
}

// countMatches counts an unsearched listing from the maintained counts
// when it can (-1 when it cannot cheaply).
func (s *Store) countMatches(ctx context.Context, q subscribers.SubscriberQuery) (int, error) {
	var n int
	var err error
	switch {
	case q.ListID != 0 && q.Status != "":
		return -1, nil
	case q.ListID != 0:
		err = s.db.QueryRowContext(ctx, `SELECT subscribed + unsubscribed FROM list_counts WHERE list_id = ?`, q.ListID).Scan(&n)
	case q.Status != "":
		err = s.db.QueryRowContext(ctx, `SELECT n FROM subscriber_counts WHERE status = ?`, q.Status).Scan(&n)
	default:
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM subscriber_counts`).Scan(&n)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count subscribers: %w", err)
	}
	return n, nil
}

// FindSuppressed returns one page of suppressed addresses, ordered by
// address, each with the reason and date of the event that suppressed it.
// A search for a whole address also finds it among removed addresses.
func (s *Store) FindSuppressed(ctx context.Context, q subscribers.SuppressedQuery) (*subscribers.SuppressedPage, error) {
	n := pageLimit(q.Limit)
	after, err := decodeCursor(q.After, 's')
	if err != nil {
		return nil, err
	}
	where := []string{`s.status <> ` + sqlActive}
	var args []any
	if q.Status != "" {
		st, err := subscribers.ParseStatus(string(q.Status))
		if err != nil || st == subscribers.StatusActive {
			return nil, fmt.Errorf("%w: %q is not a suppressed status", subscribers.ErrInvalid, q.Status)
		}
		where = append(where, `s.status = ?`)
		args = append(args, st)
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	if search != "" {
		lo, hi := prefixRange(search)
		where = append(where, `s.email_norm >= ? AND s.email_norm < ?`)
		args = append(args, lo, hi)
	}
	if after != "" {
		where = append(where, `s.email_norm > ?`)
		args = append(args, after)
	}
	args = append(args, n+1)
	rows, err := s.db.QueryContext(ctx, `
		SELECT s.id, s.email, s.name, s.status, s.updated_at,
		       COALESCE((SELECT json_array(e.reason, e.actor, e.created_at) FROM events e
		                 WHERE e.subscriber_id = s.id AND e.new_status = s.status ORDER BY e.id DESC LIMIT 1), '')
		FROM subscribers s WHERE `+strings.Join(where, ` AND `)+`
		ORDER BY s.email_norm LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("find suppressed: %w", err)
	}
	defer rows.Close()
	page := &subscribers.SuppressedPage{}
	for rows.Next() {
		var a subscribers.SuppressedAddress
		var updated, ev string
		if err := rows.Scan(&a.SubscriberID, &a.Email, &a.Name, &a.Status, &updated, &ev); err != nil {
			return nil, fmt.Errorf("find suppressed: %w", err)
		}
		a.Since = parseTime(updated)
		var e []string
		if ev != "" && json.Unmarshal([]byte(ev), &e) == nil && len(e) == 3 {
			a.Reason, a.Actor, a.Since = e[0], e[1], parseTime(e[2])
		}
		page.Addresses = append(page.Addresses, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find suppressed: %w", err)
	}
	if len(page.Addresses) > n {
		page.Addresses = page.Addresses[:n]
		page.Next = encodeCursor('s', strings.ToLower(page.Addresses[n-1].Email))
	}
	// Removed addresses are kept as a hash: a whole address can be checked.
	if after == "" && subscribers.ValidateEmail(subscribers.CleanEmail(search)) == nil && len(page.Addresses) == 0 {
		var st, created string
		err := s.db.QueryRowContext(ctx, `SELECT status, created_at FROM suppressions WHERE email_hash = ?`,
			subscribers.SuppressionHash(subscribers.NormalizeEmail(search))).Scan(&st, &created)
		if err == nil && (q.Status == "" || subscribers.Status(st) == q.Status) {
			page.Addresses = append(page.Addresses, subscribers.SuppressedAddress{Email: subscribers.CleanEmail(search), Status: subscribers.Status(st),
				Reason: "removed: personal data erased", Since: parseTime(created), Removed: true})
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("find suppressed: %w", err)
		}
	}
	return page, nil
}

// BlocklistAll blocklists many addresses in one transaction, by the same
// rules as Blocklist: unknown addresses are kept as blocklisted, removed
// ones stay as they are, and each change is an event with actor and reason.
func (s *Store) BlocklistAll(ctx context.Context, emails []string, actor, reason string) (*subscribers.BlocklistResult, error) {
	res := &subscribers.BlocklistResult{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		*res = subscribers.BlocklistResult{}
		for _, raw := range emails {
			email := subscribers.CleanEmail(raw)
			if err := subscribers.ValidateEmail(email); err != nil {
				res.Invalid = append(res.Invalid, subscribers.InvalidRow{Value: raw, Error: err.Error()})
				continue
			}
			norm := strings.ToLower(email)
			if removed, err := isRemoved(ctx, tx, norm); err != nil {
				return err
			} else if removed {
				res.Removed++
				continue
			}
			sub, err := findSubscriber(ctx, tx, norm)
			switch {
			case errors.Is(err, subscribers.ErrNotFound):
				if _, err := s.createSubscriber(ctx, tx, email, "", nil, subscribers.StatusBlocklisted, actor); err != nil {
					return err
				}
				res.Blocklisted++
			case err != nil:
				return err
			case sub.Status == subscribers.StatusBlocklisted:
				res.Already++
			default:
				if err := s.setStatus(ctx, tx, sub, subscribers.StatusBlocklisted, subscribers.Event{Actor: actor, Reason: reason}); err != nil {
					return err
				}
				res.Blocklisted++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blocklist: %w", err)
	}
	return res, nil
}
