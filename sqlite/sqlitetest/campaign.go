package sqlitetest

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// SentCampaign describes a campaign as a run leaves it, for report pages
// and benchmarks: N recipients spread over Domains, the first Sent of them
// sent at Rate per second from Start, the next Failed failed with
// FailReply, the next Deferred deferred, the rest queued; then
// HardBounces, Complaints and Unsubscribes among the sent, spread over
// the following days.
type SentCampaign struct {
	List                                  string   // default "news"; created if missing
	Subject                               string   // default "Seeded campaign"
	N                                     int      // recipients, added as subscribers r{i}@{domain}
	Domains                               []string // default example.com
	Sent, Failed, Deferred                int
	FailReply                             string // default "550 5.1.1 <r{i}@…>: user unknown"
	Start                                 time.Time
	Rate                                  float64 // deliveries per second; default 100
	HardBounces, Complaints, Unsubscribes int
}

// SeedSentCampaign writes such a campaign in a few statements, fast enough
// for a million deliveries (a minute or so). Deliveries are inserted
// queued and then moved to their states with one UPDATE; the campaign's
// kept counts are then counted from them (the ledger keeps its own as it
// goes, sqlite/count_moves.go), and bounces added by their trigger.
func SeedSentCampaign(tb testing.TB, s *sqlite.Store, cfg SentCampaign) *subscribers.Campaign {
	tb.Helper()
	ctx := context.Background()
	if cfg.List == "" {
		cfg.List = "news"
	}
	if len(cfg.Domains) == 0 {
		cfg.Domains = []string{"example.com"}
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Start.IsZero() {
		cfg.Start = s.Now()
	}
	l, err := s.FindListByName(ctx, cfg.List)
	if err != nil {
		if l, err = s.CreateList(ctx, subscribers.NewList{Name: cfg.List}); err != nil {
			tb.Fatal(err)
		}
	}
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: fmt.Sprintf("seeded-%d", cfg.N), ListID: l.ID,
		Subject: cmp.Or(cfg.Subject, "Seeded campaign"), IssuePath: "seeded.md", Snapshot: []byte("{}")})
	if err != nil {
		tb.Fatal(err)
	}
	if c.Recipients > 0 {
		tb.Fatalf("seed campaign: list %s already has members; seed each campaign into a list of its own", cfg.List)
	}
	domains := make([]string, len(cfg.Domains))
	for i, d := range cfg.Domains {
		domains[i] = fmt.Sprintf("(%d, '%s')", i, strings.ReplaceAll(d, "'", "''"))
	}
	start := cfg.Start.UTC().Format("2006-01-02 15:04:05")
	stamp := func(expr string) string { // a time in the store's format
		return `strftime('%Y-%m-%dT%H:%M:%S', '` + start + `', ` + expr + `) || '.000000Z'`
	}
	var base int64
	db := conn(tb, s.Path(), live)
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM subscribers`).Scan(&base); err != nil {
		tb.Fatal(err)
	}
	tag := fmt.Sprintf("c%d", c.ID) // keeps addresses apart when a test seeds twice
	steps := []seedStep{
		{"subscribers", `WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < ? - 1),
			d(k, name) AS (VALUES ` + strings.Join(domains, ", ") + `)
			INSERT INTO subscribers (id, email, email_norm, name, created_at, updated_at)
			SELECT ? + 1 + i, 'r' || i || '.' || ? || '@' || d.name, 'r' || i || '.' || ? || '@' || d.name, 'Reader ' || i,
			       ` + stamp(`'-30 days'`) + `, ` + stamp(`'-30 days'`) + `
			FROM r JOIN d ON d.k = i % ?`, []any{cfg.N, base, tag, tag, len(cfg.Domains)}},
		{"subscriptions", `INSERT INTO subscriptions (list_id, subscriber_id, source, consented_at, updated_at)
			SELECT ?, id, 'seed', created_at, created_at FROM subscribers WHERE id > ?`, []any{l.ID, base}},
		{"deliveries", `INSERT INTO deliveries (campaign_id, subscriber_id, updated_at)
			SELECT ?, id, created_at FROM subscribers WHERE id > ? ORDER BY id`, []any{c.ID, base}},
		{"recipients", `UPDATE campaigns SET recipients = ?, started_at = ` + stamp(`'+0 seconds'`) + ` WHERE id = ?`, []any{cfg.N, c.ID}},
		{"states", `UPDATE deliveries SET
			status = CASE WHEN subscriber_id - ? <= ? THEN ` + sqlText(subscribers.DeliverySent) + `
			              WHEN subscriber_id - ? <= ? THEN ` + sqlText(subscribers.DeliveryFailed) + `
			              WHEN subscriber_id - ? <= ? THEN ` + sqlText(subscribers.DeliveryDeferred) + `
			              ELSE ` + sqlText(subscribers.DeliveryQueued) + ` END,
			attempts = CASE WHEN subscriber_id - ? <= ? THEN 1 ELSE 0 END,
			sent_at = CASE WHEN subscriber_id - ? <= ? THEN ` + stamp(`'+' || ((subscriber_id - ? - 1) / ?) || ' seconds'`) + ` END,
			next_attempt_at = ` + stamp(`'+1 day'`) + `,
			smtp_code = CASE WHEN subscriber_id - ? <= ? THEN 250 WHEN subscriber_id - ? <= ? THEN 550
			                 WHEN subscriber_id - ? <= ? THEN 451 ELSE 0 END,
			last_error = CASE WHEN subscriber_id - ? <= ? THEN '' WHEN subscriber_id - ? <= ? THEN
			                  replace(?, '{addr}', (SELECT email FROM subscribers WHERE id = subscriber_id))
			                  WHEN subscriber_id - ? <= ? THEN '451 4.7.1 try again later' ELSE '' END,
			updated_at = ` + stamp(`'+' || ((min(subscriber_id - ?, ?) - 1) / ?) || ' seconds'`) + `
			WHERE campaign_id = ?`, []any{
			base, cfg.Sent, base, cfg.Sent + cfg.Failed, base, cfg.Sent + cfg.Failed + cfg.Deferred,
			base, cfg.Sent + cfg.Failed + cfg.Deferred,
			base, cfg.Sent, base, cfg.Rate,
			base, cfg.Sent, base, cfg.Sent + cfg.Failed, base, cfg.Sent + cfg.Failed + cfg.Deferred,
			base, cfg.Sent, base, cfg.Sent + cfg.Failed, failReply(cfg.FailReply), base, cfg.Sent + cfg.Failed + cfg.Deferred,
			base, cfg.Sent + cfg.Failed, cfg.Rate, c.ID}},
	}
	// Returns: hard bounces, complaints and unsubscribes among the sent,
	// every few sent deliveries, from an hour after the start over 3 days.
	returns := func(n, offset int) string {
		step := max(cfg.Sent/max(n, 1), 1)
		return fmt.Sprintf(`FROM deliveries WHERE campaign_id = %d AND status = %s AND (subscriber_id - %d + %d) %% %d = 0
			ORDER BY id LIMIT %d`, c.ID, sqlText(subscribers.DeliverySent), base, offset, step, n)
	}
	later := stamp(`'+' || (3600 + (id * 7919) % (3 * 86400)) || ' seconds'`)
	if cfg.HardBounces > 0 {
		steps = append(steps, seedStep{"bounces", `INSERT INTO bounces (subscriber_id, campaign_id, delivery_id, kind, status, reason, source, source_key, created_at)
			SELECT subscriber_id, campaign_id, id, ` + sqlText(subscribers.BounceHard) + `, '5.1.1', 'user unknown', 'mail', 'seed-h' || id, ` + later + ` ` +
			returns(cfg.HardBounces, 0), nil})
	}
	if cfg.Complaints > 0 {
		steps = append(steps, seedStep{"complaints", `INSERT INTO bounces (subscriber_id, campaign_id, delivery_id, kind, source, source_key, created_at)
			SELECT subscriber_id, campaign_id, id, ` + sqlText(subscribers.BounceComplaint) + `, 'mail', 'seed-c' || id, ` + later + ` ` +
			returns(cfg.Complaints, 1), nil})
	}
	if cfg.Unsubscribes > 0 {
		steps = append(steps, seedStep{"unsubscribes", `INSERT INTO events (subscriber_id, list_id, campaign_id, type, actor, created_at)
			SELECT subscriber_id, ` + fmt.Sprint(l.ID) + `, campaign_id, ` + sqlText(subscribers.EventUnsubscribed) + `, 'reader', ` + later + ` ` +
			returns(cfg.Unsubscribes, 2), nil})
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			tb.Fatalf("seed campaign %s: %v", st.what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	// The ledger keeps the counts of the changes it makes; a seed has them
	// counted from the deliveries it wrote, as migration 0014 counted the
	// deliveries it found.
	if err := s.RecountCampaign(ctx, c.ID); err != nil {
		tb.Fatalf("seed campaign counts: %v", err)
	}
	c, err = s.FindCampaignByID(ctx, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// seedStep is one statement of SeedSentCampaign.
type seedStep struct {
	what string
	q    string
	args []any
}

func failReply(r string) string {
	if r == "" {
		return "550 5.1.1 <{addr}>: user unknown"
	}
	return r
}
