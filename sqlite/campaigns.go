package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// CreateCampaign creates a campaign and, in the same transaction, one
// queued delivery per active subscriber of the list: the recipients are
// fixed when the campaign is created.
func (s *Store) CreateCampaign(ctx context.Context, nc subscribers.NewCampaign) (*subscribers.Campaign, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, `
			INSERT INTO campaigns (slug, list_id, subject, issue_path, snapshot, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nc.Slug, nc.ListID, nc.Subject, nc.IssuePath, string(nc.Snapshot), now, now)
		if err != nil {
			return fmt.Errorf("create campaign: %w", err)
		}
		id, _ = res.LastInsertId()
		res, err = tx.ExecContext(ctx, `
			INSERT INTO deliveries (campaign_id, subscriber_id, updated_at)
			SELECT ?, ss.subscriber_id, ?
			FROM subscriptions ss JOIN subscribers s ON s.id = ss.subscriber_id
			WHERE ss.list_id = ? AND ss.status = `+sqlSubscribed+` AND s.status = `+sqlActive+`
			ORDER BY ss.subscriber_id`, id, now, nc.ListID)
		if err != nil {
			return fmt.Errorf("enqueue deliveries: %w", err)
		}
		n, _ := res.RowsAffected()
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET recipients = ? WHERE id = ?`, n, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.FindCampaignByID(ctx, id)
}

const campaignColumns = `c.id, c.slug, c.list_id, COALESCE(l.name, ''), c.subject, c.issue_path, c.snapshot, c.status,
	c.pause_reason, c.recipients, c.possible_duplicates, c.send_seconds, c.created_at,
	COALESCE(c.started_at, ''), COALESCE(c.finished_at, '')`

func scanCampaign(sc interface{ Scan(...any) error }) (*subscribers.Campaign, error) {
	var c subscribers.Campaign
	var snap, created, started, finished string
	if err := sc.Scan(&c.ID, &c.Slug, &c.ListID, &c.ListName, &c.Subject, &c.IssuePath, &snap, &c.Status,
		&c.PauseReason, &c.Recipients, &c.PossibleDuplicates, &c.SendSeconds, &created, &started, &finished); err != nil {
		return nil, err
	}
	c.Snapshot = []byte(snap)
	c.CreatedAt, c.StartedAt, c.FinishedAt = parseTime(created), parseTime(started), parseTime(finished)
	return &c, nil
}

// FindCampaignByID returns a campaign or ErrNotFound.
func (s *Store) FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error) {
	c, err := scanCampaign(s.db.QueryRowContext(ctx, `SELECT `+campaignColumns+`
		FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find campaign %d: %w", id, err)
	}
	return c, nil
}

// FindLatestCampaign returns the newest campaign of an issue to a list, or
// ErrNotFound.
func (s *Store) FindLatestCampaign(ctx context.Context, slug string, listID int64) (*subscribers.Campaign, error) {
	c, err := scanCampaign(s.db.QueryRowContext(ctx, `SELECT `+campaignColumns+`
		FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id
		WHERE c.slug = ? AND c.list_id = ? ORDER BY c.id DESC LIMIT 1`, slug, listID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %s: %w", slug, subscribers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find campaign %s: %w", slug, err)
	}
	return c, nil
}

// FindCampaigns returns every campaign, newest first, without snapshots.
func (s *Store) FindCampaigns(ctx context.Context) ([]subscribers.Campaign, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+campaignColumns+`
		FROM campaigns c LEFT JOIN lists l ON l.id = c.list_id ORDER BY c.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("find campaigns: %w", err)
	}
	defer rows.Close()
	var out []subscribers.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("find campaigns: %w", err)
		}
		c.Snapshot = nil
		out = append(out, *c)
	}
	return out, rows.Err()
}

// FindCampaignStats counts deliveries by status, bounces and unsubscribes.
// Delivery counts come from campaign_counts (migration 0014), kept by the
// statements that change deliveries (countMoves), so the cost does not
// grow with the campaign.
func (s *Store) FindCampaignStats(ctx context.Context, id int64) (subscribers.CampaignStats, error) {
	var st subscribers.CampaignStats
	var first, last string
	err := s.db.QueryRowContext(ctx, `SELECT queued, sending, sent, deferred, failed, skipped,
			COALESCE(first_sent_at, ''), COALESCE(last_sent_at, '')
		FROM campaign_counts WHERE campaign_id = ?`, id).
		Scan(&st.Queued, &st.Sending, &st.Sent, &st.Deferred, &st.Failed, &st.Skipped, &first, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("campaign stats: %w", err)
	}
	st.Recipients = st.Queued + st.Sending + st.Sent + st.Deferred + st.Failed + st.Skipped
	st.FirstSentAt, st.LastSentAt = parseTime(first), parseTime(last)
	b, err := s.CampaignBounces(ctx, id)
	if err != nil {
		return st, err
	}
	st.HardBounces, st.SoftBounces, st.Complaints = b.Hard, b.Soft, b.Complaints
	err = s.db.QueryRowContext(ctx, `SELECT possible_duplicates,
			(SELECT count(DISTINCT subscriber_id) FROM events WHERE campaign_id = ? AND type = `+sqlEventUnsubscribed+`)
		FROM campaigns WHERE id = ?`, id, id).Scan(&st.PossibleDuplicates, &st.Unsubscribed)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("campaign %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("campaign stats: %w", err)
	}
	return st, nil
}

// StartCampaignRun prepares a campaign for a (re)run: deliveries left
// 'sending' by a run that died are queued again and counted as possible
// duplicates, since their messages may have been accepted. It returns how
// many there were.
func (s *Store) StartCampaignRun(ctx context.Context, id int64) (int, error) {
	// This store's own held-back counts first: a campaign still marked
	// after that lost them with another process (ledger_buffer.go).
	if err := s.FlushLedgerCounts(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		const inFlight = `campaign_id = ? AND status = ` + sqlSending
		var err error
		n, err = s.moveDeliveries(ctx, tx, subscribers.DeliveryQueued, inFlight, []any{id},
			`UPDATE deliveries SET status = `+sqlQueued+`, recovered = 1, updated_at = ? WHERE `+inFlight, now, id)
		if err != nil {
			return fmt.Errorf("recover in-flight deliveries: %w", err)
		}
		if err := s.recountIfHeldBack(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = `+sqlCampaignSending+`, pause_reason = '',
			possible_duplicates = possible_duplicates + ?, started_at = COALESCE(started_at, ?), updated_at = ?
			WHERE id = ?`, n, now, now, id)
		return err
	})
	return int(n), err
}

// EndCampaignRun records the time a run spent sending and where the
// campaign stands after it. Counts held back by another process that
// came back from a stop meanwhile are counted again (ledger_buffer.go).
func (s *Store) EndCampaignRun(ctx context.Context, id int64, elapsed time.Duration, status subscribers.CampaignStatus, reason string) error {
	if err := s.FlushLedgerCounts(ctx); err != nil {
		return err
	}
	now := formatTime(s.now())
	var finished any
	if status == subscribers.CampaignFinished {
		finished = now
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.recountIfHeldBack(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = ?, pause_reason = ?, send_seconds = send_seconds + ?,
			finished_at = COALESCE(?, finished_at), updated_at = ? WHERE id = ?`,
			status, reason, elapsed.Seconds(), finished, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("end campaign run: %w", err)
	}
	return nil
}

// CountActiveMembers counts the subscribers a campaign to the list would
// mail now.
func (s *Store) CountActiveMembers(ctx context.Context, listID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions ss JOIN subscribers s ON s.id = ss.subscriber_id
		WHERE ss.list_id = ? AND ss.status = `+sqlSubscribed+` AND s.status = `+sqlActive, listID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recipients: %w", err)
	}
	return n, nil
}

// SentSince counts messages sent (by any campaign) since t, for hourly and
// daily sending caps.
func (s *Store) SentSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE sent_at >= ?`, formatTime(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sent: %w", err)
	}
	return n, nil
}
