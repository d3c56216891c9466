package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ExportSuppressions lists every suppression the database holds: each
// suppressed address (its status, with the reason, actor and time of the
// event that set it), each unsubscribe from a single list, and each erased
// person's hash. They come from the subscriber rows and their events: the
// suppressions table itself holds only the erased.
func (s *Store) ExportSuppressions(ctx context.Context) ([]subscribers.Suppression, error) {
	var out []subscribers.Suppression
	// One read transaction: the three parts are of the same moment.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("export suppressions: %w", err)
	}
	defer tx.Rollback()
	for _, part := range []struct {
		what string
		q    string
	}{
		{"suppressed addresses", `
			SELECT s.email, '', s.status, COALESCE(e.reason, ''), COALESCE(e.actor, ''), COALESCE(e.created_at, s.updated_at), 0
			FROM subscribers s
			LEFT JOIN events e ON e.id = (SELECT max(id) FROM events
			                              WHERE subscriber_id = s.id AND new_status = s.status)
			WHERE s.status != ` + sqlActive + `
			ORDER BY s.id`},
		{"list unsubscribes", `
			SELECT s.email, l.name, ` + sqlStatusUnsubscribed + `, COALESCE(e.reason, ''), COALESCE(e.actor, ''),
			       COALESCE(e.created_at, ss.unsubscribed_at, ss.updated_at), 0
			FROM subscriptions ss
			JOIN subscribers s ON s.id = ss.subscriber_id
			JOIN lists l ON l.id = ss.list_id
			LEFT JOIN events e ON e.id = (SELECT max(id) FROM events
			                              WHERE subscriber_id = s.id AND type = ` + sqlEventUnsubscribed + `
			                                AND (list_id = ss.list_id OR list_id IS NULL))
			WHERE ss.status = ` + sqlUnsubscribed + `
			ORDER BY s.id, l.name`},
		{"erased addresses", `
			SELECT '', email_hash, status, reason, '', created_at, 1 FROM suppressions ORDER BY created_at, email_hash`},
	} {
		rows, err := tx.QueryContext(ctx, part.q)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", part.what, err)
		}
		for rows.Next() {
			var e subscribers.Suppression
			var at, second string
			if err := rows.Scan(&e.Email, &second, &e.Status, &e.Reason, &e.Actor, &at, &e.Erased); err != nil {
				rows.Close()
				return nil, fmt.Errorf("export %s: %w", part.what, err)
			}
			if e.Erased {
				e.EmailHash = second
			} else {
				e.List = second
				e.EmailHash = subscribers.SuppressionHash(subscribers.NormalizeEmail(e.Email))
			}
			e.At = parseTime(at)
			out = append(out, e)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("export %s: %w", part.what, err)
		}
	}
	return out, nil
}

// SuppressionsApplied counts what ApplySuppressions did.
type SuppressionsApplied struct {
	// Suppressed: addresses whose status it raised (active to unsubscribed,
	// unsubscribed to bounced, ...).
	Suppressed int `json:"suppressed"`
	// ListUnsubscribed: subscriptions it ended.
	ListUnsubscribed int `json:"list_unsubscribed"`
	// Created: addresses unknown here, added already suppressed (or with an
	// ended subscription) so that no later import can add them.
	Created int `json:"created"`
	// ErasedAgain: people erased after the export's database was backed up
	// whose data this database still held; erased again.
	ErasedAgain int `json:"erased_again"`
	// Hashes: erased addresses newly recorded as suppressed.
	Hashes int `json:"hashes"`
	// Unchanged: entries this database already honoured.
	Unchanged int `json:"unchanged"`
}

// suppressionBatch bounds each write transaction, so that serve's
// unsubscribes are not kept waiting behind a long import.
const suppressionBatch = 500

// ApplySuppressions re-applies a suppression export to this database. It
// only ever suppresses: no status is lowered, no subscription restarted,
// and a stronger status here stays. Running it twice changes nothing the
// second time.
func (s *Store) ApplySuppressions(ctx context.Context, entries []subscribers.Suppression, actor string) (SuppressionsApplied, error) {
	var res SuppressionsApplied
	erase := map[string]bool{} // hashes of erased people
	for start := 0; start < len(entries); start += suppressionBatch {
		batch := entries[start:min(start+suppressionBatch, len(entries))]
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			for i, e := range batch {
				if err := s.applySuppression(ctx, tx, e, actor, &res, erase); err != nil {
					return fmt.Errorf("entry %d (%s): %w", start+i+1, suppressionLabel(e), err)
				}
			}
			return nil
		}); err != nil {
			return res, fmt.Errorf("apply suppressions: %w", err)
		}
	}
	if len(erase) == 0 {
		return res, nil
	}
	// The erased may still be here under their address: find them by hash.
	norms, err := s.subscribersWithHash(ctx, erase)
	if err != nil {
		return res, err
	}
	for _, norm := range norms {
		if err := s.RemoveSubscriber(ctx, norm, actor); err != nil && !errors.Is(err, subscribers.ErrNotFound) {
			return res, fmt.Errorf("apply suppressions: erase again: %w", err)
		}
		res.ErasedAgain++
	}
	return res, nil
}

func suppressionLabel(e subscribers.Suppression) string {
	switch {
	case e.Erased:
		return "erased " + e.EmailHash[:12] + "…"
	case e.List != "":
		return e.Email + " from list " + e.List
	}
	return e.Email
}

func (s *Store) applySuppression(ctx context.Context, tx *sql.Tx, e subscribers.Suppression, actor string, res *SuppressionsApplied, erase map[string]bool) error {
	reason := fmt.Sprintf("carried over: %s on %s", e.Status, e.At.UTC().Format("2006-01-02 15:04:05Z"))
	if e.Reason != "" {
		reason += ": " + e.Reason
	}
	if e.Erased {
		r, err := tx.ExecContext(ctx, `
			INSERT INTO suppressions (email_hash, status, reason, created_at) VALUES (?, ?, 'removed', ?)
			ON CONFLICT (email_hash) DO NOTHING`, e.EmailHash, e.Status, formatTime(e.At))
		if err != nil {
			return fmt.Errorf("record suppression: %w", err)
		}
		if n, _ := r.RowsAffected(); n > 0 {
			res.Hashes++
		} else {
			res.Unchanged++
		}
		erase[e.EmailHash] = true
		return nil
	}
	norm := subscribers.NormalizeEmail(e.Email)
	sub, err := findSubscriber(ctx, tx, norm)
	if errors.Is(err, subscribers.ErrNotFound) {
		removed, err := isRemoved(ctx, tx, norm)
		if err != nil {
			return err
		}
		if removed {
			res.Unchanged++ // erased here: suppressed by its hash
			return nil
		}
		st := e.Status
		if e.List != "" {
			st = subscribers.StatusActive // only that list; the address is not suppressed
		}
		if sub, err = s.createSubscriber(ctx, tx, e.Email, "", nil, st, actor); err != nil {
			return err
		}
		res.Created++
		if e.List == "" {
			return nil
		}
		return s.endSubscription(ctx, tx, sub.ID, e, actor, reason, res, true)
	}
	if err != nil {
		return err
	}
	if e.List != "" {
		return s.endSubscription(ctx, tx, sub.ID, e, actor, reason, res, false)
	}
	if rank(sub.Status) >= rank(e.Status) {
		res.Unchanged++
		return nil
	}
	typ := subscribers.EventStatus
	switch e.Status {
	case subscribers.StatusBounced:
		typ = subscribers.EventBounced
	case subscribers.StatusComplained:
		typ = subscribers.EventComplained
	}
	res.Suppressed++
	return s.setStatus(ctx, tx, sub, e.Status, subscribers.Event{Type: typ, Actor: actor, Reason: reason})
}

// endSubscription records that subID left e.List: an existing subscription
// ends; a missing one (or a missing list) is created already ended, so a
// later import into that list keeps the person out.
func (s *Store) endSubscription(ctx context.Context, tx *sql.Tx, subID int64, e subscribers.Suppression, actor, reason string, res *SuppressionsApplied, created bool) error {
	l, _, err := s.ensureList(ctx, tx, e.List)
	if err != nil {
		return fmt.Errorf("list %q: %w", e.List, err)
	}
	now := formatTime(s.now())
	r, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (list_id, subscriber_id, status, source, consented_at, unsubscribed_at, updated_at)
		VALUES (?, ?, `+sqlUnsubscribed+`, ?, ?, ?, ?)
		ON CONFLICT (list_id, subscriber_id) DO UPDATE
		SET status = `+sqlUnsubscribed+`, unsubscribed_at = excluded.unsubscribed_at, updated_at = excluded.updated_at
		WHERE status = `+sqlSubscribed, l.ID, subID, actor, formatTime(e.At), now, now)
	if err != nil {
		return fmt.Errorf("end subscription: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		res.Unchanged++
		return nil
	}
	if !created {
		res.ListUnsubscribed++
	}
	return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: subID, ListID: l.ID, Type: subscribers.EventUnsubscribed, Actor: actor, Reason: reason})
}

// subscribersWithHash returns the normalised addresses of subscribers
// whose address hashes to one of hashes. Every address is hashed: the
// table keeps no hash of the living.
func (s *Store) subscribersWithHash(ctx context.Context, hashes map[string]bool) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT email_norm FROM subscribers`)
	if err != nil {
		return nil, fmt.Errorf("find erased subscribers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var norm string
		if err := rows.Scan(&norm); err != nil {
			return nil, fmt.Errorf("find erased subscribers: %w", err)
		}
		if hashes[subscribers.SuppressionHash(norm)] {
			out = append(out, norm)
		}
	}
	return out, rows.Err()
}
