package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// AddSubscriber creates a subscriber or adds an existing one to lists.
// Existing name and attributes are not changed. It returns ErrSuppressed
// (and changes nothing) for an address that must not be mailed.
func (s *Store) AddSubscriber(ctx context.Context, in subscribers.AddInput) (*subscribers.AddResult, error) {
	email := subscribers.CleanEmail(in.Email)
	if err := subscribers.ValidateEmail(email); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", email, subscribers.ErrInvalid, err)
	}
	if in.Actor == "" {
		in.Actor = "admin"
	}
	if err := checkAttributesSize(in.Attributes, in.MaxAttributesBytes); err != nil {
		return nil, fmt.Errorf("%s: %w", email, err)
	}
	if in.Source == "" {
		in.Source = in.Actor
	}
	norm := strings.ToLower(email)
	res := &subscribers.AddResult{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if ok, err := isRemoved(ctx, tx, norm); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%s was removed and stays suppressed: %w", email, subscribers.ErrSuppressed)
		}
		sub, err := findSubscriber(ctx, tx, norm)
		switch {
		case errors.Is(err, subscribers.ErrNotFound):
			sub, err = s.createSubscriber(ctx, tx, email, in.Name, in.Attributes, subscribers.StatusActive, in.Actor)
			if err != nil {
				return err
			}
			res.Created = true
		case err != nil:
			return err
		case sub.Status.Suppressed():
			return fmt.Errorf("%s is %s: %w", email, sub.Status, subscribers.ErrSuppressed)
		}
		res.Subscriber = sub
		for _, name := range in.Lists {
			l, _, err := s.ensureList(ctx, tx, name)
			if err != nil {
				return err
			}
			joined, err := s.subscribe(ctx, tx, sub.ID, l.ID, in.Source, in.Basis, in.Actor)
			if err != nil {
				return err
			}
			if joined {
				res.Subscribed = append(res.Subscribed, l.Name)
			} else if st, _ := subscriptionStatus(ctx, tx, sub.ID, l.ID); st == subscribers.Unsubscribed {
				res.Skipped = append(res.Skipped, l.Name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkAttributesSize refuses attributes over the limit (0: the default):
// every send decodes them for every recipient.
func checkAttributesSize(attrs map[string]any, limit int) error {
	if limit <= 0 {
		limit = subscribers.DefaultMaxAttributesBytes
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("%w: attributes cannot be stored: %v", subscribers.ErrInvalid, err)
	}
	if len(js) > limit {
		return fmt.Errorf("%w: %s", subscribers.ErrInvalid, subscribers.AttributesTooLong(len(js), limit))
	}
	return nil
}

func isRemoved(ctx context.Context, q queryer, norm string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM suppressions WHERE email_hash = ?`, subscribers.SuppressionHash(norm)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check suppressions: %w", err)
	}
	return true, nil
}

func (s *Store) createSubscriber(ctx context.Context, tx *sql.Tx, email, name string, attrs map[string]any, status subscribers.Status, actor string) (*subscribers.Subscriber, error) {
	if attrs == nil {
		attrs = map[string]any{}
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `
		INSERT INTO subscribers (id, email, email_norm, name, attributes, status, created_at, updated_at)
		VALUES (`+lastSubscriberID+` + 1, ?, ?, ?, ?, ?, ?, ?)`,
		email, strings.ToLower(email), strings.TrimSpace(name), string(js), status, formatTime(now), formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("create subscriber %s: %w", email, err)
	}
	id, _ := res.LastInsertId()
	if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: id, Type: subscribers.EventCreated, NewStatus: string(status), Actor: actor}); err != nil {
		return nil, err
	}
	return &subscribers.Subscriber{ID: id, Email: email, Name: strings.TrimSpace(name), Attributes: attrs, Status: status, CreatedAt: now, UpdatedAt: now}, nil
}

// subscribe adds a subscription unless one exists; a person who left a list
// is never put back on it here. A form request still waiting for
// confirmation becomes a subscription on the admin's basis (the request is
// dropped). It reports whether a subscription was made.
func (s *Store) subscribe(ctx context.Context, tx *sql.Tx, subID, listID int64, source string, basis subscribers.LawfulBasis, actor string) (bool, error) {
	if basis == "" {
		basis = subscribers.BasisConsent
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (list_id, subscriber_id, status, source, consented_at, updated_at, basis)
		VALUES (?1, ?2, `+sqlSubscribed+`, ?3, ?4, ?4, ?5)
		ON CONFLICT (list_id, subscriber_id) DO UPDATE
		SET status = `+sqlSubscribed+`, source = ?3, consented_at = ?4, updated_at = ?4, basis = ?5,
		    requested_at = NULL, request_source = '', request_text = ''
		WHERE status = `+sqlUnconfirmed, listID, subID, source, now, basis)
	if err != nil {
		return false, fmt.Errorf("subscribe: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return false, nil
	}
	return true, s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: subID, ListID: listID, Type: subscribers.EventSubscribed, Actor: actor, Reason: source})
}

func subscriptionStatus(ctx context.Context, q queryer, subID, listID int64) (subscribers.SubscriptionStatus, error) {
	var st subscribers.SubscriptionStatus
	err := q.QueryRowContext(ctx, `SELECT status FROM subscriptions WHERE list_id = ? AND subscriber_id = ?`, listID, subID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", subscribers.ErrNotFound
	}
	return st, err
}

const subscriberColumns = `s.id, s.email, s.name, s.attributes, s.status, s.created_at, s.updated_at,
	(SELECT json_group_array(json_array(l.id, l.name, ss.status, ss.source, ss.consented_at, COALESCE(ss.unsubscribed_at, ''), l.title,
	        ss.basis, ss.consent_text, ss.consent_ip, ss.consent_agent, COALESCE(ss.requested_at, '')))
	 FROM subscriptions ss JOIN lists l ON l.id = ss.list_id WHERE ss.subscriber_id = s.id)`

func scanSubscriber(sc interface{ Scan(...any) error }) (*subscribers.Subscriber, error) {
	var sub subscribers.Subscriber
	var attrs, created, updated, lists string
	if err := sc.Scan(&sub.ID, &sub.Email, &sub.Name, &attrs, &sub.Status, &created, &updated, &lists); err != nil {
		return nil, err
	}
	sub.CreatedAt, sub.UpdatedAt = parseTime(created), parseTime(updated)
	if err := json.Unmarshal([]byte(attrs), &sub.Attributes); err != nil {
		return nil, fmt.Errorf("decode attributes of subscriber %d: %w", sub.ID, err)
	}
	var raw [][]any
	if err := json.Unmarshal([]byte(lists), &raw); err != nil {
		return nil, fmt.Errorf("decode lists of subscriber %d: %w", sub.ID, err)
	}
	for _, r := range raw {
		if len(r) != 12 {
			continue
		}
		id, _ := r[0].(float64)
		name, _ := r[1].(string)
		st, _ := r[2].(string)
		src, _ := r[3].(string)
		cons, _ := r[4].(string)
		unsub, _ := r[5].(string)
		title, _ := r[6].(string)
		basis, _ := r[7].(string)
		ctext, _ := r[8].(string)
		cip, _ := r[9].(string)
		cagent, _ := r[10].(string)
		req, _ := r[11].(string)
		sub.Lists = append(sub.Lists, subscribers.Subscription{ListID: int64(id), List: name, ListTitle: title, Status: subscribers.SubscriptionStatus(st),
			Source: src, ConsentedAt: parseTime(cons), UnsubscribedAt: parseTime(unsub), Basis: subscribers.LawfulBasis(basis),
			ConsentText: ctext, ConsentIP: cip, ConsentAgent: cagent, RequestedAt: parseTime(req)})
	}
	return &sub, nil
}

// findSubscriber finds a subscriber by normalised address.
func findSubscriber(ctx context.Context, q queryer, norm string) (*subscribers.Subscriber, error) {
	return findSubscriberWhere(ctx, q, "s.email_norm = ?", norm, norm)
}

// findSubscriberTx finds a subscriber by id.
func findSubscriberTx(ctx context.Context, q queryer, id int64) (*subscribers.Subscriber, error) {
	return findSubscriberWhere(ctx, q, "s.id = ?", id, id)
}

func findSubscriberWhere(ctx context.Context, q queryer, where string, arg, name any) (*subscribers.Subscriber, error) {
	row := q.QueryRowContext(ctx, `SELECT `+subscriberColumns+` FROM subscribers s WHERE `+where, arg)
	sub, err := scanSubscriber(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("subscriber %v: %w", name, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find subscriber %v: %w", name, err)
	}
	return sub, nil
}

// FindSubscriberByEmail looks an address up case-insensitively.
func (s *Store) FindSubscriberByEmail(ctx context.Context, email string) (*subscribers.Subscriber, error) {
	return findSubscriber(ctx, s.db, subscribers.NormalizeEmail(email))
}

// FindSubscriberByID returns the subscriber with that id or ErrNotFound.
func (s *Store) FindSubscriberByID(ctx context.Context, id int64) (*subscribers.Subscriber, error) {
	return findSubscriberTx(ctx, s.db, id)
}

// FindSubscribers calls fn for every matching subscriber in id order. It
// reads in pages so that a large list neither pins the WAL nor fills memory.
func (s *Store) FindSubscribers(ctx context.Context, f subscribers.SubscriberFilter, fn func(*subscribers.Subscriber) error) error {
	var listID int64
	if f.List != "" {
		l, err := s.FindListByName(ctx, f.List)
		if err != nil {
			return err
		}
		listID = l.ID
	}
	const page = 1000
	var after int64
	for {
		q := `SELECT ` + subscriberColumns + ` FROM subscribers s WHERE s.id > ?`
		args := []any{after}
		if listID != 0 {
			q += ` AND EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id AND x.list_id = ?)`
			args = append(args, listID)
		}
		if f.Status != "" {
			q += ` AND s.status = ?`
			args = append(args, f.Status)
		}
		q += ` ORDER BY s.id LIMIT ?`
		args = append(args, page)
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("find subscribers: %w", err)
		}
		var batch []*subscribers.Subscriber
		for rows.Next() {
			sub, err := scanSubscriber(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("find subscribers: %w", err)
			}
			batch = append(batch, sub)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find subscribers: %w", err)
		}
		for _, sub := range batch {
			if err := fn(sub); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// setStatus moves a subscriber to a suppressed status and records why. It
// refuses to make anyone active: that is Resubscribe's job alone.
func (s *Store) setStatus(ctx context.Context, tx *sql.Tx, sub *subscribers.Subscriber, to subscribers.Status, e subscribers.Event) error {
	if to == subscribers.StatusActive {
		return fmt.Errorf("only the subscriber can reactivate an address: %w", subscribers.ErrSuppressed)
	}
	if sub.Status == to {
		return nil
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?`,
		to, formatTime(now), sub.ID); err != nil {
		return fmt.Errorf("set status of %s: %w", sub.Email, err)
	}
	e.SubscriberID, e.OldStatus, e.NewStatus, e.CreatedAt = sub.ID, string(sub.Status), string(to), now
	if e.Type == "" {
		e.Type = subscribers.EventStatus
	}
	sub.Status = to
	return s.insertEvent(ctx, tx, e)
}

// Blocklist suppresses an address for good. Blocklisting an address that is
// not yet known creates it as blocklisted, so a later import cannot add it.
func (s *Store) Blocklist(ctx context.Context, email, actor, reason string) (*subscribers.Subscriber, error) {
	email = subscribers.CleanEmail(email)
	if err := subscribers.ValidateEmail(email); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", email, subscribers.ErrInvalid, err)
	}
	var sub *subscribers.Subscriber
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		sub, err = findSubscriber(ctx, tx, strings.ToLower(email))
		if errors.Is(err, subscribers.ErrNotFound) {
			sub, err = s.createSubscriber(ctx, tx, email, "", nil, subscribers.StatusBlocklisted, actor)
			return err
		}
		if err != nil {
			return err
		}
		return s.setStatus(ctx, tx, sub, subscribers.StatusBlocklisted, subscribers.Event{Actor: actor, Reason: reason})
	})
	return sub, err
}

// Suppress moves a subscriber to a suppressed status (bounced, complained,
// unsubscribed, blocklisted) on behalf of actor, optionally attributing it to
// a campaign. A subscriber already suppressed keeps the stronger status:
// complained and blocklisted are never downgraded.
func (s *Store) Suppress(ctx context.Context, subscriberID int64, to subscribers.Status, campaignID int64, actor, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriberTx(ctx, tx, subscriberID)
		if err != nil {
			return err
		}
		if rank(sub.Status) >= rank(to) {
			return nil
		}
		typ := subscribers.EventStatus
		switch to {
		case subscribers.StatusBounced:
			typ = subscribers.EventBounced
		case subscribers.StatusComplained:
			typ = subscribers.EventComplained
		case subscribers.StatusUnsubscribed:
			typ = subscribers.EventUnsubscribed
		}
		return s.setStatus(ctx, tx, sub, to, subscribers.Event{Type: typ, CampaignID: campaignID, Actor: actor, Reason: reason})
	})
}

// rank orders statuses by how strongly they suppress.
func rank(st subscribers.Status) int {
	switch st {
	case subscribers.StatusActive:
		return 0
	case subscribers.StatusUnsubscribed:
		return 1
	case subscribers.StatusBounced:
		return 2
	case subscribers.StatusComplained:
		return 3
	case subscribers.StatusBlocklisted:
		return 4
	}
	return 0
}

// RemoveSubscriber erases a person's data (address, name, attributes,
// subscriptions, free-text event reasons, replies that quote the address,
// which links they clicked) and keeps only a hash of the address so that
// it stays suppressed. What campaigns count survives, under the removed id
// and without the person: the ledger's deliveries (a message was sent),
// the events (the audit trail and unsubscribe counts) and the bounces (a
// campaign's bounce counts).
func (s *Store) RemoveSubscriber(ctx context.Context, email, actor string) error {
	norm := subscribers.NormalizeEmail(email)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriber(ctx, tx, norm)
		if err != nil {
			return err
		}
		st := sub.Status
		if st == subscribers.StatusActive {
			st = subscribers.StatusUnsubscribed
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO suppressions (email_hash, status, reason, created_at) VALUES (?, ?, 'removed', ?)
			ON CONFLICT (email_hash) DO NOTHING`, subscribers.SuppressionHash(norm), st, formatTime(s.now())); err != nil {
			return fmt.Errorf("record suppression: %w", err)
		}
		// Bounce diagnostics quote the address; they go, and the bounce
		// stays, counted for its campaign, with no one attached.
		if _, err := tx.ExecContext(ctx, `UPDATE bounces SET subscriber_id = NULL, reason = '' WHERE subscriber_id = ?`, sub.ID); err != nil {
			return fmt.Errorf("anonymise bounces: %w", err)
		}
		if err := redactDeliveries(ctx, tx, sub.ID, norm); err != nil {
			return err
		}
		// Which links the person clicked (individual tracking) is theirs;
		// the campaign's click counts are kept apart and stay.
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_clicks_individual
			WHERE delivery_id IN (`+deliveriesOf+`)`, sub.ID); err != nil {
			return fmt.Errorf("delete individual clicks: %w", err)
		}
		// So do the unattributed reports that name it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM unattributed_reports
			WHERE EXISTS (SELECT 1 FROM json_each(addresses) WHERE value = ?)`, norm); err != nil {
			return fmt.Errorf("delete unattributed reports: %w", err)
		}
		// And the invalid rows of imports that quote it (a typo next to it,
		// a row over a limit): matched anywhere in the value, any case.
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_invalid_rows WHERE instr(lower(value), ?) > 0`, norm); err != nil {
			return fmt.Errorf("delete invalid import rows: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET reason = '', redacted = 1 WHERE subscriber_id = ? AND redacted = 0`, sub.ID); err != nil {
			return fmt.Errorf("redact events: %w", err)
		}
		if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, Type: subscribers.EventRemoved, OldStatus: string(sub.Status), Actor: actor}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscribers WHERE id = ?`, sub.ID); err != nil {
			return fmt.Errorf("delete subscriber: %w", err)
		}
		return nil
	})
}

// Unsubscribe ends a subscription to one list (listID != 0) or to every list
// (listID == 0, which also marks the subscriber unsubscribed). It is
// idempotent and attributes the change to campaignID when known.
func (s *Store) Unsubscribe(ctx context.Context, subscriberID, listID, campaignID int64, actor, reason string) error {
	// Group-committed with other unsubscribes (unsubscribe_batch.go); it
	// returns once the change is committed.
	w := s.unsubscribeWriter()
	if w == nil {
		return fmt.Errorf("unsubscribe: %w", errStoreClosed)
	}
	return w.do(&unsubOp{ctx: ctx, subscriberID: subscriberID, listID: listID,
		campaignID: campaignID, actor: actor, reason: reason, result: make(chan error, 1)})
}

// unsubscribeTx applies one unsubscribe inside tx.
func (s *Store) unsubscribeTx(ctx context.Context, tx *sql.Tx, op *unsubOp) error {
	// Only what the change needs: this runs on the single writer, and the
	// full subscriber (attributes, lists) costs several times as much.
	sub := &subscribers.Subscriber{}
	err := tx.QueryRowContext(ctx, `SELECT id, email, status FROM subscribers WHERE id = ?`, op.subscriberID).
		Scan(&sub.ID, &sub.Email, &sub.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("subscriber %d: %w", op.subscriberID, subscribers.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("find subscriber %d: %w", op.subscriberID, err)
	}
	now := formatTime(s.now())
	// A form request waiting for confirmation ends too: whoever asked,
	// the person has now said no.
	q := `UPDATE subscriptions SET status = ` + sqlUnsubscribed + `, unsubscribed_at = ?, updated_at = ?,
	             requested_at = NULL, request_source = '', request_text = ''
	      WHERE subscriber_id = ? AND status IN (` + sqlSubscribed + `, ` + sqlUnconfirmed + `)`
	args := []any{now, now, op.subscriberID}
	if op.listID != 0 {
		q += ` AND list_id = ?`
		args = append(args, op.listID)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: op.subscriberID, ListID: op.listID, CampaignID: op.campaignID,
			Type: subscribers.EventUnsubscribed, Actor: op.actor, Reason: op.reason}); err != nil {
			return err
		}
	}
	if op.listID == 0 && rank(sub.Status) < rank(subscribers.StatusUnsubscribed) {
		return s.setStatus(ctx, tx, sub, subscribers.StatusUnsubscribed, subscribers.Event{Type: subscribers.EventStatus, CampaignID: op.campaignID, Actor: op.actor, Reason: op.reason})
	}
	return nil
}

// Resubscribe is the person's own way back: it restores the subscription to
// listID (or every list they left, when 0) and, for an unsubscribed address,
// reactivates it. Bounced, complained and blocklisted addresses stay
// suppressed: a click cannot prove the mailbox works or undo an admin's block.
func (s *Store) Resubscribe(ctx context.Context, subscriberID, listID int64, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriberTx(ctx, tx, subscriberID)
		if err != nil {
			return err
		}
		if !sub.Status.MaySelfResubscribe() {
			return fmt.Errorf("%s is %s: %w", sub.Email, sub.Status, subscribers.ErrSuppressed)
		}
		now := formatTime(s.now())
		q := `UPDATE subscriptions SET status = ` + sqlSubscribed + `, unsubscribed_at = NULL, updated_at = ?,
		             consented_at = ?, source = ?
		      WHERE subscriber_id = ? AND status = ` + sqlUnsubscribed
		args := []any{now, now, actor, subscriberID}
		if listID != 0 {
			q += ` AND list_id = ?`
			args = append(args, listID)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("resubscribe: %w", err)
		}
		if sub.Status == subscribers.StatusUnsubscribed {
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = `+sqlActive+`, updated_at = ? WHERE id = ?`, now, sub.ID); err != nil {
				return fmt.Errorf("reactivate: %w", err)
			}
		}
		return s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: sub.ID, ListID: listID, Type: subscribers.EventResubscribed,
			OldStatus: string(sub.Status), NewStatus: string(subscribers.StatusActive), Actor: actor})
	})
}
