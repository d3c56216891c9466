package sqlite

import (
	"slices"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ledgerQuery is one of the ledger's updates of a delivery. Each runs as
// one of several statements (ledgerStatement): with or without the hint's
// campaign check, and for each status the delivery may be expected in.
// That a row changed says which status it had, without reading it first
// (a query per op through database/sql costs as much again as the update).
type ledgerQuery int

const (
	qBegin ledgerQuery = iota
	qSkip
	qSent
	qDeferred
	qFailed
	qRequeue
	qRequeueAttempted // qRequeue for a delivery that has attempts to give back
	qPostpone
	numLedgerQueries
)

// The statements bind no value that SQLite's planner compares. In SQLite
// 3.54, a parameter compared outside an index (`attempts = ?`), or
// against a partial index's condition (`status = ?`, deliveries_failed),
// marks the statement to be compiled again when a new value is bound,
// and go-sqlite3 clears the bindings after every execution: the ledger's
// two statements per message were compiled anew each time, which cost
// more CPU than running them (docs/benchmarks.md). So the expected status
// is written into the statement, and the other compared values are bound
// as `+?`: the unary plus leaves the value as it is and hides it from the
// planner's estimates. The plans stay as they were: the rowid finds the
// delivery, the subscriptions key its subscription (TestLedgerPlans).
var ledgerSQL = [numLedgerQueries]string{
	qBegin: `UPDATE deliveries SET status = ` + sqlSending + `, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND attempts = +? AND EXISTS (
			SELECT 1 FROM subscribers s JOIN subscriptions ss ON ss.subscriber_id = s.id
			WHERE s.id = deliveries.subscriber_id AND s.status = ` + sqlActive + `
			  AND ss.list_id = +? AND ss.status = ` + sqlSubscribed + `)`,
	qSkip: `UPDATE deliveries SET status = ` + sqlSkipped + `, last_error = 'subscriber no longer active or subscribed', updated_at = ?
		WHERE id = ? AND attempts = +?`,
	qSent: `UPDATE deliveries SET status = ` + sqlSent + `, sent_at = ?, smtp_code = ?, last_error = '', relay = ?, updated_at = ?
		WHERE id = ?`,
	qDeferred: `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ?`,
	qFailed: `UPDATE deliveries SET status = ` + sqlFailed + `, smtp_code = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ?`,
	qRequeue:          requeueSQL,
	qRequeueAttempted: requeueSQL + ` AND attempts > 0`,
	qPostpone: `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, last_error = ?, relay = ?, updated_at = ?
		WHERE id = ? AND attempts = +?`,
}

const requeueSQL = `UPDATE deliveries SET status = ` + sqlDeferred + `, next_attempt_at = ?, attempts = max(attempts - 1, 0),
		last_error = ?, relay = ?, updated_at = ? WHERE id = ?`

// hintCampaign is the condition a hinted statement adds: its one more
// argument, after the query's own.
const hintCampaign = ` AND campaign_id = +?`

// ledgerStatements holds every statement, made once: [query][hinted][the
// expected status's index in countedStatuses].
var ledgerStatements = func() (t [numLedgerQueries][2][len(countedStatuses)]string) {
	for q, text := range ledgerSQL {
		for hinted, cond := range [2]string{"", hintCampaign} {
			for i, st := range countedStatuses {
				t[q][hinted][i] = text + cond + ` AND status = '` + string(st) + `'`
			}
		}
	}
	return t
}()

// ledgerStatement is q's statement for a delivery expected in status
// from, with the hint's check if hinted; "" for a status no delivery has.
func ledgerStatement(q ledgerQuery, hinted bool, from subscribers.DeliveryStatus) string {
	i := slices.Index(countedStatuses[:], from)
	if i < 0 {
		return ""
	}
	h := 0
	if hinted {
		h = 1
	}
	return ledgerStatements[q][h][i]
}
