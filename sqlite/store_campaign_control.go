package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

const controlColumns = `id, COALESCE(scheduled_at, ''), schedule_zone, hold, request, COALESCE(cancelled_at, ''), background`

func scanControl(sc interface{ Scan(...any) error }) (subscribers.CampaignControl, error) {
	var c subscribers.CampaignControl
	var scheduled, cancelled string
	err := sc.Scan(&c.CampaignID, &scheduled, &c.ScheduleZone, &c.Hold, &c.Request, &cancelled, &c.Background)
	c.ScheduledAt, c.CancelledAt = parseTime(scheduled), parseTime(cancelled)
	return c, err
}

// FindCampaignControl returns how a campaign is driven, or subscribers.ErrNotFound.
func (s *Store) FindCampaignControl(ctx context.Context, id int64) (subscribers.CampaignControl, error) {
	c, err := scanControl(s.db.QueryRowContext(ctx, `SELECT `+controlColumns+` FROM campaigns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("campaign %d: %w", id, subscribers.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("find campaign %d: %w", id, err)
	}
	return c, nil
}

// FindCampaignControls returns how every campaign is driven, by id.
func (s *Store) FindCampaignControls(ctx context.Context) (map[int64]subscribers.CampaignControl, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+controlColumns+` FROM campaigns`)
	if err != nil {
		return nil, fmt.Errorf("find campaigns: %w", err)
	}
	defer rows.Close()
	out := map[int64]subscribers.CampaignControl{}
	for rows.Next() {
		c, err := scanControl(rows)
		if err != nil {
			return nil, fmt.Errorf("find campaigns: %w", err)
		}
		out[c.CampaignID] = c
	}
	return out, rows.Err()
}

// ScheduleCampaign creates a campaign that the runner of `dispatch serve`
// starts at a time. It has no deliveries until then (EnqueueScheduled).
func (s *Store) ScheduleCampaign(ctx context.Context, nc subscribers.NewCampaign, at time.Time, zone string) (*subscribers.Campaign, error) {
	now := formatTime(s.now())
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO campaigns (slug, list_id, subject, issue_path, snapshot, status, hold, scheduled_at, schedule_zone,
			background, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, `+sqlCampaignPaused+`, `+sqlHoldSchedule+`, ?, ?, 1, ?, ?)`,
		nc.Slug, nc.ListID, nc.Subject, nc.IssuePath, string(nc.Snapshot), formatTime(at), zone, now, now)
	if err != nil {
		return nil, fmt.Errorf("schedule campaign: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("schedule campaign: %w", err)
	}
	return s.FindCampaignByID(ctx, id)
}

// EnqueueScheduled starts a scheduled campaign: one queued delivery per
// active subscriber of its list now, in the same transaction as clearing
// its hold. It returns the number of recipients. Running it again adds no
// one twice.
func (s *Store) EnqueueScheduled(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		_, err := tx.ExecContext(ctx, `
			INSERT OR IGNORE INTO deliveries (campaign_id, subscriber_id, updated_at)
			SELECT c.id, ss.subscriber_id, ?
			FROM campaigns c JOIN subscriptions ss ON ss.list_id = c.list_id
			JOIN subscribers s ON s.id = ss.subscriber_id
			WHERE c.id = ? AND ss.status = `+sqlSubscribed+` AND s.status = `+sqlActive+`
			ORDER BY ss.subscriber_id`, now, id)
		if err != nil {
			return fmt.Errorf("enqueue deliveries of campaign %d: %w", id, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE campaign_id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("count deliveries of campaign %d: %w", id, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET recipients = ?, status = `+sqlCampaignSending+`, hold = '', pause_reason = '',
			updated_at = ? WHERE id = ? AND hold = `+sqlHoldSchedule, n, now, id)
		return err
	})
	return n, err
}

// SetCampaignRequest records what an operator asks of the process running
// a campaign.
func (s *Store) SetCampaignRequest(ctx context.Context, id int64, r subscribers.CampaignRequest) error {
	return s.updateCampaign(ctx, id, `request = ?`, r)
}

// HoldCampaign pauses a campaign until an explicit resume, with the
// reason, and clears any request (it has been acted on).
func (s *Store) HoldCampaign(ctx context.Context, id int64, hold subscribers.CampaignHold, reason string) error {
	return s.updateCampaign(ctx, id, `status = `+sqlCampaignPaused+`, hold = ?, pause_reason = ?, request = ''`, hold, reason)
}

// ResumeCampaign lets a paused or interrupted campaign be sent again:
// background hands it to the runner of `dispatch serve`.
func (s *Store) ResumeCampaign(ctx context.Context, id int64, background bool) error {
	return s.updateCampaign(ctx, id, `status = `+sqlCampaignSending+`, hold = '', pause_reason = '', request = '', background = ?`, background)
}

func (s *Store) updateCampaign(ctx context.Context, id int64, set string, args ...any) error {
	args = append(args, formatTime(s.now()), id)
	res, err := s.db.ExecContext(ctx, `UPDATE campaigns SET `+set+`, updated_at = ? WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("update campaign %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("campaign %d: %w", id, subscribers.ErrNotFound)
	}
	return nil
}

// CancelCampaign ends a campaign for good: what it still owes is skipped
// (a scheduled campaign owes nothing: it has no deliveries yet). It
// returns how many deliveries were skipped. Counts that a run which died
// held back are counted again, as its next run would have.
func (s *Store) CancelCampaign(ctx context.Context, id int64) (int, error) {
	if err := s.FlushLedgerCounts(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		const owed = `campaign_id = ? AND status IN (` + sqlQueued + `, ` + sqlDeferred + `, ` + sqlSending + `)`
		var err error
		n, err = s.moveDeliveries(ctx, tx, subscribers.DeliverySkipped, owed, []any{id},
			`UPDATE deliveries SET status = `+sqlSkipped+`, last_error = 'campaign cancelled', updated_at = ? WHERE `+owed, now, id)
		if err != nil {
			return fmt.Errorf("skip the deliveries of campaign %d: %w", id, err)
		}
		if err := s.recountIfHeldBack(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = `+sqlCampaignFinished+`, hold = '', request = '', pause_reason = '',
			cancelled_at = ?, finished_at = COALESCE(finished_at, ?), updated_at = ? WHERE id = ?`, now, now, now, id)
		if err != nil {
			return fmt.Errorf("cancel campaign %d: %w", id, err)
		}
		return nil
	})
	return int(n), err
}

// FindRunnable returns the campaigns the runner of `dispatch serve` should
// run now, oldest first: background campaigns still sending, and
// scheduled ones whose time has come. Whether another process runs one is
// the lease's business.
func (s *Store) FindRunnable(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM campaigns
		WHERE background = 1 AND cancelled_at IS NULL
		AND (status = `+sqlCampaignSending+` OR (hold = `+sqlHoldSchedule+` AND scheduled_at <= ?)) ORDER BY id`, formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("find runnable campaigns: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find runnable campaigns: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
