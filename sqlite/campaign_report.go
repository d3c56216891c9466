package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// FindCampaignReport returns a campaign's timeline, its failures grouped
// by reply and its topDomains busiest recipient domains. It reads the
// counts of migration 0014 (kept by countMoves), the campaign's failed
// deliveries, bounces and unsubscribe events: never every delivery.
func (s *Store) FindCampaignReport(ctx context.Context, id int64, topDomains int) (subscribers.CampaignReport, error) {
	var r subscribers.CampaignReport
	var err error
	if r.Minutes, err = s.campaignMinutes(ctx, id); err != nil {
		return r, err
	}
	if r.Hours, err = s.campaignHours(ctx, id); err != nil {
		return r, err
	}
	if r.Failures, err = s.campaignFailures(ctx, id); err != nil {
		return r, err
	}
	if r.Domains, err = s.campaignDomains(ctx, id, topDomains); err != nil {
		return r, err
	}
	return r, nil
}

// FindCampaignMinutes returns a campaign's deliveries per minute, the
// part of its report that its live progress needs (for the rate).
func (s *Store) FindCampaignMinutes(ctx context.Context, id int64) ([]subscribers.MinuteCount, error) {
	return s.campaignMinutes(ctx, id)
}

func (s *Store) campaignMinutes(ctx context.Context, id int64) ([]subscribers.MinuteCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT minute, sent, deferred, failed FROM (`+settledSQL(minutesTable, "campaign_id = ?1")+`)
		WHERE sent <> 0 OR deferred <> 0 OR failed <> 0 ORDER BY minute`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d timeline: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.MinuteCount
	for rows.Next() {
		var m subscribers.MinuteCount
		var minute string
		if err := rows.Scan(&minute, &m.Sent, &m.Deferred, &m.Failed); err != nil {
			return nil, fmt.Errorf("campaign %d timeline: %w", id, err)
		}
		if m.At, err = time.Parse("2006-01-02T15:04", minute); err != nil {
			return nil, fmt.Errorf("campaign %d timeline: minute %q: %w", id, minute, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign %d timeline: %w", id, err)
	}
	return out, nil
}

// campaignHours counts what came back per hour: bounces and complaints
// by the bounce's time, unsubscribes by the event's (one per subscriber,
// the first).
func (s *Store) campaignHours(ctx context.Context, id int64) ([]subscribers.HourCount, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT hour, sum(hard), sum(soft), sum(complaints), sum(unsubscribed) FROM (
			SELECT substr(created_at, 1, 13) AS hour, kind = ? AS hard, kind = ? AS soft, kind = ? AS complaints,
			       0 AS unsubscribed
			FROM bounces WHERE campaign_id = ?
			UNION ALL
			SELECT substr(min(created_at), 1, 13), 0, 0, 0, 1
			FROM events WHERE campaign_id = ? AND type = ? GROUP BY subscriber_id)
		GROUP BY hour ORDER BY hour`,
		subscribers.BounceHard, subscribers.BounceSoft, subscribers.BounceComplaint, id, id, subscribers.EventUnsubscribed)
	if err != nil {
		return nil, fmt.Errorf("campaign %d returns: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.HourCount
	for rows.Next() {
		var h subscribers.HourCount
		var hour string
		if err := rows.Scan(&hour, &h.HardBounces, &h.SoftBounces, &h.Complaints, &h.Unsubscribed); err != nil {
			return nil, fmt.Errorf("campaign %d returns: %w", id, err)
		}
		if h.At, err = time.Parse("2006-01-02T15", hour); err != nil {
			return nil, fmt.Errorf("campaign %d returns: hour %q: %w", id, hour, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign %d returns: %w", id, err)
	}
	return out, nil
}

// recipientInReply matches what makes one recipient's refusal differ
// from another's with the same cause: the address, bracketed or not.
var recipientInReply = regexp.MustCompile(`<[^<>\s]*>|[^\s<>"'()\[\]]+@[^\s<>"'()\[\]]+`)

// mailerReply is how the mailer records a refusal: the SMTP step, the
// code and the quoted reply, as in `rcpt to: 550 "5.1.1 user unknown"`.
var mailerReply = regexp.MustCompile(`^([a-z][a-z ]*): (\d{3}) ("(?:[^"\\]|\\.)*")$`)

// failureReason is a failed delivery's reply without its recipient, so
// that "550 5.1.1 <a@x>: user unknown" and the same for b@x group. A
// reply recorded by the mailer reads as the relay said it, with the step
// after it: "550 5.1.1 user unknown (at RCPT TO)".
func failureReason(text string) string {
	if m := mailerReply.FindStringSubmatch(text); m != nil {
		if msg, err := strconv.Unquote(m[3]); err == nil {
			text = m[2] + " " + msg + " (at " + strings.ToUpper(m[1]) + ")"
		}
	}
	var kept []string
	for _, f := range strings.Fields(recipientInReply.ReplaceAllString(text, "")) {
		if strings.Trim(f, ":;,.") != "" { // punctuation left behind by the address
			kept = append(kept, f)
		}
	}
	t := strings.Join(kept, " ")
	if t == "" {
		return strings.TrimSpace(text)
	}
	return t
}

// failureGroups is a campaign's failures grouped, kept with the counts
// they were read at.
type failureGroups struct {
	key    string
	groups []subscribers.FailureCount
}

// campaignFailures groups a campaign's failed deliveries by reply. Reading
// and grouping them costs a few milliseconds per thousand (each reply may
// name its recipient, so each is a group to merge), so the groups are kept
// until the kept counts show that a delivery has failed since (the
// timeline's failures only grow) or left the failed state (the failed
// count drops without a new failure). The current counts alone would
// miss a failure retried that fails again with another reply: every
// count ends where it was.
func (s *Store) campaignFailures(ctx context.Context, id int64) ([]subscribers.FailureCount, error) {
	var key string
	err := s.db.QueryRowContext(ctx, `SELECT k.failed || '/' ||
		(SELECT COALESCE(sum(failed), 0) FROM (`+settledSQL(minutesTable, "campaign_id = ?1")+`))
		FROM campaign_counts k WHERE k.campaign_id = ?1`, id).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("campaign %d failures: %w", id, err)
	}
	if g, ok := s.failures.Load(id); ok && g.(failureGroups).key == key {
		return g.(failureGroups).groups, nil
	}
	out, err := s.readFailures(ctx, id)
	if err != nil {
		return nil, err
	}
	s.failures.Store(id, failureGroups{key: key, groups: out})
	return out, nil
}

func (s *Store) readFailures(ctx context.Context, id int64) ([]subscribers.FailureCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT smtp_code, last_error, count(*) FROM deliveries INDEXED BY deliveries_failed
		WHERE campaign_id = ? AND status = `+sqlFailed+` GROUP BY smtp_code, last_error`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d failures: %w", id, err)
	}
	defer rows.Close()
	type key struct {
		code   int
		reason string
	}
	groups := map[key]int{}
	for rows.Next() {
		var code, n int
		var text string
		if err := rows.Scan(&code, &text, &n); err != nil {
			return nil, fmt.Errorf("campaign %d failures: %w", id, err)
		}
		groups[key{code, failureReason(text)}] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign %d failures: %w", id, err)
	}
	out := make([]subscribers.FailureCount, 0, len(groups))
	for k, n := range groups {
		out = append(out, subscribers.FailureCount{Code: k.code, Reason: k.reason, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		if out[i].Code != out[j].Code {
			return out[i].Code < out[j].Code
		}
		return out[i].Reason < out[j].Reason
	})
	return out, nil
}

func (s *Store) campaignDomains(ctx context.Context, id int64, top int) ([]subscribers.DomainCount, error) {
	if top <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT domain, sent, deferred, failed, bounced FROM (`+settledSQL(domainsTable, "campaign_id = ?1")+`)
		WHERE sent <> 0 OR deferred <> 0 OR failed <> 0 OR bounced <> 0 ORDER BY sent + failed DESC, domain LIMIT ?2`, id, top)
	if err != nil {
		return nil, fmt.Errorf("campaign %d domains: %w", id, err)
	}
	defer rows.Close()
	var out []subscribers.DomainCount
	for rows.Next() {
		var d subscribers.DomainCount
		if err := rows.Scan(&d.Domain, &d.Sent, &d.Deferred, &d.Failed, &d.Bounced); err != nil {
			return nil, fmt.Errorf("campaign %d domains: %w", id, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign %d domains: %w", id, err)
	}
	return out, nil
}

// FindListGrowth counts, per week (weeks start on Monday, UTC) since
// since, the subscribers who joined a list, who left it, and the list's
// subscribers who bounced hard or complained.
func (s *Store) FindListGrowth(ctx context.Context, listID int64, since time.Time) ([]subscribers.GrowthWeek, error) {
	from := formatTime(since)
	rows, err := s.db.QueryContext(ctx, `
		SELECT week, sum(added), sum(left_), sum(bounced) FROM (
			SELECT date(consented_at, 'weekday 0', '-6 days') AS week, 1 AS added, 0 AS left_, 0 AS bounced
			FROM subscriptions WHERE list_id = ? AND consented_at >= ?
			UNION ALL
			SELECT date(unsubscribed_at, 'weekday 0', '-6 days'), 0, 1, 0
			FROM subscriptions WHERE list_id = ? AND status = `+sqlUnsubscribed+` AND unsubscribed_at >= ?
			UNION ALL
			SELECT date(b.created_at, 'weekday 0', '-6 days'), 0, 0, 1
			FROM subscriptions ss JOIN bounces b ON b.subscriber_id = ss.subscriber_id
			WHERE ss.list_id = ? AND b.kind IN (?, ?) AND b.created_at >= ?)
		GROUP BY week ORDER BY week`,
		listID, from, listID, from, listID, subscribers.BounceHard, subscribers.BounceComplaint, from)
	if err != nil {
		return nil, fmt.Errorf("list %d growth: %w", listID, err)
	}
	defer rows.Close()
	var out []subscribers.GrowthWeek
	for rows.Next() {
		var g subscribers.GrowthWeek
		var week string
		if err := rows.Scan(&week, &g.Added, &g.Unsubscribed, &g.Bounced); err != nil {
			return nil, fmt.Errorf("list %d growth: %w", listID, err)
		}
		if g.At, err = time.Parse(time.DateOnly, week); err != nil {
			return nil, fmt.Errorf("list %d growth: week %q: %w", listID, week, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %d growth: %w", listID, err)
	}
	return out, nil
}
