package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// SetListTracking records a list's own tracking setting and lawful basis.
// Individual click tracking is refused (ErrTrackingBasis) unless the basis
// permits it.
func (s *Store) SetListTracking(ctx context.Context, lt subscribers.ListTracking) error {
	if lt.Clicks == subscribers.TrackIndividual && !lt.Basis.PermitsIndividual() {
		return fmt.Errorf("list %d: %w", lt.ListID, subscribers.ErrTrackingBasis)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO list_tracking (list_id, clicks, opens, basis) VALUES (?, ?, ?, ?)
		ON CONFLICT (list_id) DO UPDATE SET clicks = excluded.clicks, opens = excluded.opens, basis = excluded.basis`,
		lt.ListID, string(lt.Clicks), string(lt.Opens), string(lt.Basis))
	if err != nil {
		return fmt.Errorf("set tracking of list %d: %w", lt.ListID, err)
	}
	return nil
}

// FindListTracking returns a list's tracking setting; a list that never
// set one gets empty fields (the configuration applies).
func (s *Store) FindListTracking(ctx context.Context, listID int64) (subscribers.ListTracking, error) {
	lt := subscribers.ListTracking{ListID: listID}
	var clicks, opens, basis string
	err := s.db.QueryRowContext(ctx, `SELECT clicks, opens, basis FROM list_tracking WHERE list_id = ?`, listID).
		Scan(&clicks, &opens, &basis)
	if errors.Is(err, sql.ErrNoRows) {
		return lt, nil
	}
	if err != nil {
		return lt, fmt.Errorf("tracking of list %d: %w", listID, err)
	}
	lt.Clicks, lt.Opens, lt.Basis = subscribers.ClickTracking(clicks), subscribers.OpenTracking(opens), subscribers.LawfulBasis(basis)
	return lt, nil
}

// SetCampaignTracking records how a campaign is tracked and registers its
// links, once: a campaign keeps the setting and links it was first given,
// so a resumed send and the redirect agree with what went out.
func (s *Store) SetCampaignTracking(ctx context.Context, ct subscribers.CampaignTracking, links []subscribers.TrackedLink) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_tracking (campaign_id, clicks, opens) VALUES (?, ?, ?)
			ON CONFLICT (campaign_id) DO NOTHING`, ct.CampaignID, string(ct.Clicks), string(ct.Opens)); err != nil {
			return fmt.Errorf("set tracking of campaign %d: %w", ct.CampaignID, err)
		}
		for _, l := range links {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_links (campaign_id, n, url, section) VALUES (?, ?, ?, ?)
				ON CONFLICT (campaign_id, n) DO NOTHING`, ct.CampaignID, l.N, l.URL, l.Section); err != nil {
				return fmt.Errorf("register link %d of campaign %d: %w", l.N, ct.CampaignID, err)
			}
		}
		return nil
	})
}

// FindCampaignTracking returns how a campaign is tracked; a campaign with
// no record is tracked not at all.
func (s *Store) FindCampaignTracking(ctx context.Context, id int64) (subscribers.CampaignTracking, error) {
	ct := subscribers.CampaignTracking{CampaignID: id, Clicks: subscribers.TrackOff, Opens: subscribers.OpensOff}
	var clicks, opens string
	err := s.db.QueryRowContext(ctx, `SELECT clicks, opens FROM campaign_tracking WHERE campaign_id = ?`, id).Scan(&clicks, &opens)
	if errors.Is(err, sql.ErrNoRows) {
		return ct, nil
	}
	if err != nil {
		return ct, fmt.Errorf("tracking of campaign %d: %w", id, err)
	}
	ct.Clicks, ct.Opens = subscribers.ClickTracking(clicks), subscribers.OpenTracking(opens)
	return ct, nil
}

// FindCampaignLinks returns a campaign's registered links in order.
func (s *Store) FindCampaignLinks(ctx context.Context, id int64) ([]subscribers.TrackedLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n, url, section FROM campaign_links WHERE campaign_id = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("links of campaign %d: %w", id, err)
	}
	defer rows.Close()
	var links []subscribers.TrackedLink
	for rows.Next() {
		var l subscribers.TrackedLink
		if err := rows.Scan(&l.N, &l.URL, &l.Section); err != nil {
			return nil, fmt.Errorf("links of campaign %d: %w", id, err)
		}
		links = append(links, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("links of campaign %d: %w", id, err)
	}
	return links, nil
}

// DeliverySentAt returns the campaign of a delivery and when it was sent
// (zero if not yet), or ErrNotFound.
func (s *Store) DeliverySentAt(ctx context.Context, deliveryID int64) (int64, time.Time, error) {
	var campaign int64
	var sent sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT campaign_id, sent_at FROM deliveries WHERE id = ?`, deliveryID).Scan(&campaign, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, fmt.Errorf("delivery %d: %w", deliveryID, subscribers.ErrNotFound)
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("delivery %d: %w", deliveryID, err)
	}
	var at time.Time
	if sent.Valid {
		at = parseTime(sent.String)
	}
	return campaign, at, nil
}

// CampaignLastSentAt is when the campaign's latest delivery was sent;
// zero when none was.
func (s *Store) CampaignLastSentAt(ctx context.Context, id int64) (time.Time, error) {
	var last string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(max(sent_at), '') FROM deliveries WHERE campaign_id = ? AND status = `+sqlSent, id).Scan(&last)
	if err != nil {
		return time.Time{}, fmt.Errorf("last send of campaign %d: %w", id, err)
	}
	if last == "" {
		return time.Time{}, nil
	}
	return parseTime(last), nil
}

// AddClicks adds the redirect's batched counts in one transaction.
func (s *Store) AddClicks(ctx context.Context, deltas []subscribers.ClickDelta, individual []subscribers.IndividualClick, opens []subscribers.OpenDelta) error {
	if len(deltas)+len(individual)+len(opens) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range deltas {
			if _, err := tx.ExecContext(ctx, `INSERT INTO link_clicks (campaign_id, n, hour, human, machine, unique_humans)
				VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (campaign_id, n, hour) DO UPDATE SET human = human + excluded.human,
					machine = machine + excluded.machine, unique_humans = unique_humans + excluded.unique_humans`,
				d.CampaignID, d.N, d.Hour.UTC().Truncate(time.Hour).Unix(), d.Human, d.Machine, d.UniqueHumans); err != nil {
				return fmt.Errorf("add clicks of link %d of campaign %d: %w", d.N, d.CampaignID, err)
			}
		}
		for _, c := range individual {
			if c.Reclassify {
				if _, err := tx.ExecContext(ctx, `UPDATE link_clicks_individual SET machine = ?
					WHERE delivery_id = ? AND campaign_id = ? AND n = ? AND clicked_at = ?`,
					c.Machine, c.DeliveryID, c.CampaignID, c.N, formatTime(c.At)); err != nil {
					return fmt.Errorf("reclassify click of delivery %d: %w", c.DeliveryID, err)
				}
				continue
			}
			// A click buffered before its reader was removed must not be
			// written after: who clicked is personal data the removal erased.
			if _, err := tx.ExecContext(ctx, `INSERT INTO link_clicks_individual (campaign_id, n, delivery_id, clicked_at, machine)
				SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
					WHERE d.id = ?)`, c.CampaignID, c.N, c.DeliveryID, formatTime(c.At), c.Machine, c.DeliveryID); err != nil {
				return fmt.Errorf("record click of delivery %d: %w", c.DeliveryID, err)
			}
		}
		for _, o := range opens {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_opens (campaign_id, hour, opens) VALUES (?, ?, ?)
				ON CONFLICT (campaign_id, hour) DO UPDATE SET opens = opens + excluded.opens`,
				o.CampaignID, o.Hour.UTC().Truncate(time.Hour).Unix(), o.Opens); err != nil {
				return fmt.Errorf("add opens of campaign %d: %w", o.CampaignID, err)
			}
		}
		return nil
	})
}

// CampaignClicks returns each link of a campaign with its counts, in the
// order the links appear.
func (s *Store) CampaignClicks(ctx context.Context, id int64) ([]subscribers.LinkClicks, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.n, l.url, l.section,
			COALESCE(sum(c.human), 0), COALESCE(sum(c.machine), 0), COALESCE(sum(c.unique_humans), 0)
		FROM campaign_links l LEFT JOIN link_clicks c ON c.campaign_id = l.campaign_id AND c.n = l.n
		WHERE l.campaign_id = ? GROUP BY l.n ORDER BY l.n`, id)
	if err != nil {
		return nil, fmt.Errorf("clicks of campaign %d: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.LinkClicks
	for rows.Next() {
		var lc subscribers.LinkClicks
		if err := rows.Scan(&lc.N, &lc.URL, &lc.Section, &lc.Human, &lc.Machine, &lc.UniqueHumans); err != nil {
			return nil, fmt.Errorf("clicks of campaign %d: %w", id, err)
		}
		out = append(out, lc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clicks of campaign %d: %w", id, err)
	}
	return out, nil
}

// CampaignClickHours returns a campaign's clicks per hour, oldest first.
func (s *Store) CampaignClickHours(ctx context.Context, id int64) ([]subscribers.ClickHour, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hour, sum(human), sum(machine) FROM link_clicks
		WHERE campaign_id = ? GROUP BY hour ORDER BY hour`, id)
	if err != nil {
		return nil, fmt.Errorf("clicks per hour of campaign %d: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.ClickHour
	for rows.Next() {
		var h subscribers.ClickHour
		var unix int64
		if err := rows.Scan(&unix, &h.Human, &h.Machine); err != nil {
			return nil, fmt.Errorf("clicks per hour of campaign %d: %w", id, err)
		}
		h.Hour = time.Unix(unix, 0).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clicks per hour of campaign %d: %w", id, err)
	}
	return out, nil
}

// CampaignOpens returns a campaign's pixel opens per hour, oldest first.
func (s *Store) CampaignOpens(ctx context.Context, id int64) ([]subscribers.OpenHour, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hour, opens FROM campaign_opens WHERE campaign_id = ? ORDER BY hour`, id)
	if err != nil {
		return nil, fmt.Errorf("opens of campaign %d: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.OpenHour
	for rows.Next() {
		var h subscribers.OpenHour
		var unix int64
		if err := rows.Scan(&unix, &h.Opens); err != nil {
			return nil, fmt.Errorf("opens of campaign %d: %w", id, err)
		}
		h.Hour = time.Unix(unix, 0).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("opens of campaign %d: %w", id, err)
	}
	return out, nil
}
