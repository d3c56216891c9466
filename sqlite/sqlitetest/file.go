package sqlitetest

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// invariants are what every database Dispatch writes must satisfy, each
// as a query counting the rows that break it.
var invariants = map[string]string{
	"sent deliveries without sent_at": `SELECT count(*) FROM deliveries WHERE status = ` + sqlText(subscribers.DeliverySent) + ` AND sent_at IS NULL`,
	// A removed subscriber's deliveries and events stay (the ledger, the
	// audit trail, the campaigns' counts), under an id that a "removed"
	// event records and that no one else may take.
	"deliveries of a missing subscriber": `SELECT count(*) FROM deliveries WHERE subscriber_id NOT IN (SELECT id FROM subscribers)
		AND subscriber_id NOT IN (` + removedIDs + `)`,
	"deliveries of a missing campaign": `SELECT count(*) FROM deliveries WHERE campaign_id NOT IN (SELECT id FROM campaigns)`,
	"events of a missing subscriber": `SELECT count(*) FROM events WHERE subscriber_id IS NOT NULL AND subscriber_id NOT IN (SELECT id FROM subscribers)
		AND subscriber_id NOT IN (` + removedIDs + `)`,
	"subscribers with a removed subscriber's id": `SELECT count(*) FROM subscribers WHERE id IN (` + removedIDs + `)`,
	"replies quoting an address of a removed subscriber": `SELECT count(*) FROM deliveries WHERE subscriber_id NOT IN (SELECT id FROM subscribers)
		AND last_error LIKE '%@%'`,
	"clicks of a removed subscriber": `SELECT count(*) FROM link_clicks_individual k JOIN deliveries d ON d.id = k.delivery_id
		WHERE d.subscriber_id NOT IN (SELECT id FROM subscribers)`,
	"events of a missing campaign":         `SELECT count(*) FROM events WHERE campaign_id IS NOT NULL AND campaign_id NOT IN (SELECT id FROM campaigns)`,
	"campaigns whose recipients disagree":  `SELECT count(*) FROM campaigns c WHERE recipients != (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id)`,
	"rows breaking a foreign key":          `SELECT count(*) FROM pragma_foreign_key_check`,
	"subscriber rows duplicated by e-mail": `SELECT count(*) - count(DISTINCT email_norm) FROM subscribers`,
	// A sender may hold a campaign's counts back, marked (unflushed) until
	// it writes them; a file taken meanwhile has them behind, and the
	// campaign's next run (or a restore) counts them again.
	"campaign counts that disagree": `SELECT count(*) FROM campaigns c LEFT JOIN campaign_counts k ON k.campaign_id = c.id
		WHERE COALESCE(k.unflushed, 0) = 0 AND (COALESCE(k.queued + k.sending + k.sent + k.deferred + k.failed + k.skipped, 0) != (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id)
		   OR COALESCE(k.sent, 0) != (SELECT count(*) FROM deliveries d WHERE d.campaign_id = c.id AND d.status = ` + sqlText(subscribers.DeliverySent) + `))`,
	// A removed subscriber's deliveries stay counted under their domain,
	// which no recount can find again: per campaign, each domain keeps at
	// least what its present subscribers account for, and the excess is
	// exactly the removed subscribers' deliveries.
	"campaign domain counts that disagree": `WITH
		present AS (SELECT d.campaign_id, lower(substr(s.email, instr(s.email, '@') + 1)) AS domain,
		                   sum(d.status = ` + sqlText(subscribers.DeliverySent) + `) AS sent, sum(d.status = ` + sqlText(subscribers.DeliveryFailed) + `) AS failed
		            FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		            WHERE d.status IN (` + sqlText(subscribers.DeliverySent) + `, ` + sqlText(subscribers.DeliveryFailed) + `) GROUP BY 1, 2),
		removed AS (SELECT campaign_id, sum(status = ` + sqlText(subscribers.DeliverySent) + `) AS sent, sum(status = ` + sqlText(subscribers.DeliveryFailed) + `) AS failed
		            FROM deliveries WHERE subscriber_id NOT IN (SELECT id FROM subscribers)
		              AND status IN (` + sqlText(subscribers.DeliverySent) + `, ` + sqlText(subscribers.DeliveryFailed) + `) GROUP BY 1),
		kept AS (SELECT campaign_id, domain, sent, failed FROM (` + sqlite.CampaignDomainsSQL() + `) WHERE sent <> 0 OR failed <> 0),
		campaigns_ AS (SELECT campaign_id FROM (SELECT campaign_id FROM kept UNION SELECT campaign_id FROM present UNION SELECT campaign_id FROM removed)
		               WHERE campaign_id NOT IN (SELECT campaign_id FROM campaign_counts WHERE unflushed <> 0))
		SELECT (SELECT count(*) FROM present p LEFT JOIN kept k ON k.campaign_id = p.campaign_id AND k.domain = p.domain
		        WHERE p.campaign_id IN (SELECT campaign_id FROM campaigns_) AND (COALESCE(k.sent, 0) < p.sent OR COALESCE(k.failed, 0) < p.failed))
		     + (SELECT count(*) FROM campaigns_ c
		        WHERE COALESCE((SELECT sum(sent) FROM kept k WHERE k.campaign_id = c.campaign_id), 0)
		              != COALESCE((SELECT sum(sent) FROM present p WHERE p.campaign_id = c.campaign_id), 0)
		               + COALESCE((SELECT sent FROM removed r WHERE r.campaign_id = c.campaign_id), 0)
		           OR COALESCE((SELECT sum(failed) FROM kept k WHERE k.campaign_id = c.campaign_id), 0)
		              != COALESCE((SELECT sum(failed) FROM present p WHERE p.campaign_id = c.campaign_id), 0)
		               + COALESCE((SELECT failed FROM removed r WHERE r.campaign_id = c.campaign_id), 0))`,
}

// removedIDs selects the ids of removed subscribers.
const removedIDs = `SELECT subscriber_id FROM events WHERE type = '` + subscribers.EventRemoved + `' AND subscriber_id IS NOT NULL`

// Invariants checks a database file that no process has open (a backup,
// or a database after its process exited) and returns, sorted, the
// invariants it breaks.
func Invariants(tb testing.TB, path string) []string {
	tb.Helper()
	db := conn(tb, path, immutable)
	defer db.Close()
	var out []string
	for what, q := range invariants {
		var n int
		if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			out = append(out, what)
		}
	}
	sort.Strings(out)
	return out
}

// CountSent counts the sent deliveries in a database file no process has
// open.
func CountSent(tb testing.TB, path string) int {
	tb.Helper()
	db := conn(tb, path, immutable)
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(),
		`SELECT count(*) FROM deliveries WHERE status = ?`, subscribers.DeliverySent).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// Fingerprint summarises a database file no process has open: every tenth
// delivery, event and subscriber with their states and times. Two files
// with the same fingerprint hold the same history as far as a test of
// backup and restore can tell.
func Fingerprint(tb testing.TB, path string) string {
	tb.Helper()
	db := conn(tb, path, readOnly)
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || '|' || subscriber_id || '|' || status || '|' || coalesce(sent_at, '') FROM deliveries WHERE id % 10 = 0 ORDER BY id`,
		`SELECT id || '|' || type || '|' || created_at FROM events WHERE id % 10 = 0 ORDER BY id`,
		`SELECT id || '|' || email || '|' || status FROM subscribers WHERE id % 10 = 0 ORDER BY id`,
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				tb.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// LedgerRows is every delivery and event of a database file no process has
// open, one line each, in id order: enough to tell whether two copies (a
// replica and its source) hold the same ledger.
func LedgerRows(tb testing.TB, path string) (deliveries, events []string) {
	tb.Helper()
	db := conn(tb, path, readOnly)
	defer db.Close()
	read := func(q string) []string {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				tb.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		return out
	}
	deliveries = read(`SELECT id || '|' || campaign_id || '|' || subscriber_id || '|' || status || '|' ||
		coalesce(sent_at, '') || '|' || attempts FROM deliveries ORDER BY id`)
	events = read(`SELECT id || '|' || coalesce(subscriber_id, '') || '|' || coalesce(campaign_id, '') || '|' ||
		type || '|' || new_status || '|' || actor || '|' || created_at FROM events ORDER BY id`)
	return deliveries, events
}
