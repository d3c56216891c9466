package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
		       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = 'subscribed'),
		       (SELECT COUNT(*) FROM subscriptions ss WHERE ss.list_id = l.id AND ss.status = 'unsubscribed'),
		       (SELECT COUNT(*) FROM subscriptions ss JOIN subscribers s ON s.id = ss.subscriber_id
		        WHERE ss.list_id = l.id AND ss.status = 'subscribed' AND s.status = 'active')
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
// is one indexed query whatever the page number (keyset pagination).
func (s *Store) SearchSubscribers(ctx context.Context, q subscribers.SubscriberQuery) (*subscribers.SubscriberPage, error) {
	n := pageLimit(q.Limit)
	search := strings.TrimSpace(q.Search)
	page := &subscribers.SubscriberPage{Total: -1}
	var where []string
	var args []any
	if q.Status != "" {
		if _, err := subscribers.ParseStatus(string(q.Status)); err != nil {
			return nil, fmt.Errorf("%w: %v", subscribers.ErrInvalid, err)
		}
		where = append(where, `s.status = ?`)
		args = append(args, q.Status)
		if q.Status != subscribers.StatusActive {
			// Lets SQLite use the partial indexes on suppressed rows.
			where = append(where, `s.status <> 'active'`)
		}
	}
	from := `subscribers s`
	var query string
	if search != "" {
		// Ordered by address, so each page is a range of the address index.
		after, err := decodeCursor(q.After, 'e')
		if err != nil {
			return nil, err
		}
		lo, hi := prefixRange(strings.ToLower(search))
		match := `(s.email_norm >= ? AND s.email_norm < ?)`
		margs := []any{lo, hi}
		if !strings.Contains(search, "@") {
			nlo, nhi := prefixRange(search)
			match = `(` + match + ` OR (s.name <> '' AND lower(s.name) >= lower(?) AND lower(s.name) < lower(?)))`
			margs = append(margs, nlo, nhi)
		}
		where = append([]string{match}, where...)
		args = append(margs, args...)
		if q.ListID != 0 {
			where = append(where, `EXISTS (SELECT 1 FROM subscriptions x WHERE x.list_id = ? AND x.subscriber_id = s.id)`)
			args = append(args, q.ListID)
		}
		if after != "" {
			where = append(where, `s.email_norm > ?`)
			args = append(args, after)
		}
		query = `SELECT ` + subscriberColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, ` AND `) +
			` ORDER BY s.email_norm LIMIT ?`
	} else {
		// Newest first, each page a range of the rowid, the status index
		// or the list's subscriptions.
		after, err := decodeIDCursor(q.After)
		if err != nil {
			return nil, err
		}
		key := `s.id`
		if q.ListID != 0 {
			from = `subscriptions x JOIN subscribers s ON s.id = x.subscriber_id`
			key = `x.subscriber_id`
			where = append([]string{`x.list_id = ?`}, where...)
			args = append([]any{q.ListID}, args...)
		}
		if after != 0 {
			where = append(where, key+` < ?`)
			args = append(args, after)
		}
		w := ``
		if len(where) > 0 {
			w = ` WHERE ` + strings.Join(where, ` AND `)
		}
		query = `SELECT ` + subscriberColumns + ` FROM ` + from + w + ` ORDER BY ` + key + ` DESC LIMIT ?`
	}
	args = append(args, n+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search subscribers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("search subscribers: %w", err)
		}
		page.Subscribers = append(page.Subscribers, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search subscribers: %w", err)
	}
	if len(page.Subscribers) > n {
		page.Subscribers = page.Subscribers[:n]
		last := page.Subscribers[n-1]
		if search != "" {
			page.Next = encodeCursor('e', strings.ToLower(last.Email))
		} else {
			page.Next = encodeCursor('i', strconv.FormatInt(last.ID, 10))
		}
	}
	if search == "" {
		total, err := s.countMatches(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Total = total
	}
	return page, nil
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
	where := []string{`s.status <> 'active'`}
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
			suppressionHash(subscribers.NormalizeEmail(search))).Scan(&st, &created)
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
