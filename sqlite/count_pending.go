package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Pending counts (migration 0023). A ledger commit appends its changes to
// the per-minute and per-domain counts to its campaign's campaign_counts
// row, which it rewrites anyway, instead of upserting a row of
// campaign_minutes and of campaign_domains: two fewer pages written per
// commit. Each change is a JSON array element with its leading comma,
// `,["m","2026-12-02T13:57",sent,deferred,failed]` for a minute and
// `,["d","example.com",sent,deferred,failed]` for a domain, so that
// appending is a concatenation. When the list grows past foldPendingAt
// bytes, the commit that made it so folds it into the two tables.
// Whoever reads the two tables reads them through settledSQL, which adds
// what is pending.

// defaultFoldPendingAt keeps a campaign_counts row well inside a page
// (4,096 bytes) and folds about once per twenty commits of a send.
const defaultFoldPendingAt = 2000

const (
	pendingMinute = "m"
	pendingDomain = "d"
)

func (s *Store) foldPendingAt() int {
	if s.foldAt > 0 {
		return s.foldAt
	}
	return defaultFoldPendingAt
}

// pending returns the moves' per-minute and per-domain changes of
// campaign as pending elements, in key order; "" when there are none.
func (m *countMoves) pending(campaign int64) string {
	var b []byte
	for _, part := range []struct {
		kind string
		rows map[rowKey]*settledCounts
	}{{pendingMinute, m.minutes}, {pendingDomain, m.domains}} {
		for _, k := range sortedKeys(part.rows, compareRowKeys) {
			c := part.rows[k]
			if k.campaign != campaign || c.zero() {
				continue
			}
			b = append(b, `,["`...)
			b = append(b, part.kind...)
			b = append(b, `",`...)
			b = appendJSONString(b, k.key)
			for _, n := range [...]int64{c.sent, c.deferred, c.failed} {
				b = append(b, ',')
				b = strconv.AppendInt(b, n, 10)
			}
			b = append(b, ']')
		}
	}
	return string(b)
}

func compareRowKeys(a, b rowKey) int {
	if a.campaign != b.campaign {
		return cmp.Compare(a.campaign, b.campaign)
	}
	return strings.Compare(a.key, b.key)
}

// appendJSONString appends s as a JSON string. Minutes and domains are
// nearly always plain; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// foldPending moves campaign's pending changes into campaign_minutes and
// campaign_domains, in tx.
func foldPending(ctx context.Context, tx queryer, campaign int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT j.value ->> 0, j.value ->> 1, sum(j.value ->> 2), sum(j.value ->> 3), sum(j.value ->> 4)
		FROM campaign_counts c, json_each('[' || substr(c.pending, 2) || ']') j
		WHERE c.campaign_id = ? GROUP BY 1, 2`, campaign)
	if err != nil {
		return fmt.Errorf("fold campaign %d counts: %w", campaign, err)
	}
	defer rows.Close()
	folded := map[string]map[rowKey]*settledCounts{pendingMinute: {}, pendingDomain: {}}
	for rows.Next() {
		var kind, key string
		var c settledCounts
		if err := rows.Scan(&kind, &key, &c.sent, &c.deferred, &c.failed); err != nil {
			return fmt.Errorf("fold campaign %d counts: %w", campaign, err)
		}
		if folded[kind] == nil {
			return fmt.Errorf("fold campaign %d counts: pending change of kind %q", campaign, kind)
		}
		folded[kind][rowKey{campaign, key}] = &c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fold campaign %d counts: %w", campaign, err)
	}
	if err := upsertSettled(ctx, tx, upsertMinute, folded[pendingMinute]); err != nil {
		return fmt.Errorf("fold campaign %d timeline: %w", campaign, err)
	}
	if err := upsertSettled(ctx, tx, upsertDomain, folded[pendingDomain]); err != nil {
		return fmt.Errorf("fold campaign %d domains: %w", campaign, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE campaign_counts SET pending = '' WHERE campaign_id = ?`, campaign); err != nil {
		return fmt.Errorf("fold campaign %d counts: %w", campaign, err)
	}
	return nil
}

// settledTable is campaign_minutes or campaign_domains, as settledSQL
// reads it.
type settledTable struct {
	name, key, kind string
	extra           []string // columns that only the table has (pending changes add 0)
}

var (
	minutesTable = settledTable{name: "campaign_minutes", key: "minute", kind: pendingMinute}
	domainsTable = settledTable{name: "campaign_domains", key: "domain", kind: pendingDomain, extra: []string{"bounced"}}
)

// settledSQL selects the rows of t with the pending changes added, for
// the campaigns that where (over a campaign_id column, e.g.
// "campaign_id = ?1") keeps: campaign_id, the key column, sent, deferred,
// failed and t's extra columns. A row of zeros may come out where
// pending changes cancel out.
func settledSQL(t settledTable, where string) string {
	var extra, extraSum, extraZero string
	for _, c := range t.extra {
		extra += ", " + c
		extraSum += ", sum(" + c + ") AS " + c
		extraZero += ", 0"
	}
	return `SELECT campaign_id, ` + t.key + `, sum(sent) AS sent, sum(deferred) AS deferred, sum(failed) AS failed` + extraSum + `
		FROM (SELECT campaign_id, ` + t.key + `, sent, deferred, failed` + extra + ` FROM ` + t.name + ` WHERE ` + where + `
		      UNION ALL
		      SELECT campaign_id, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4` + extraZero + `
		      FROM campaign_counts, json_each('[' || substr(pending, 2) || ']') j
		      WHERE pending <> '' AND ` + where + ` AND j.value ->> 0 = '` + t.kind + `')
		GROUP BY campaign_id, ` + t.key
}

// CampaignDomainsSQL selects every campaign's per-domain counts (columns
// campaign_id, domain, sent, deferred, failed, bounced), pending changes
// included, for checks that read a database file directly.
func CampaignDomainsSQL() string { return settledSQL(domainsTable, "1") }
