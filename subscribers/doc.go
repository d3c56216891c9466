// Package subscribers owns Dispatch's data: subscribers, lists, subscriptions,
// the append-only event log, suppressions, and (later) campaigns and their
// delivery ledger, all in one SQLite file.
//
// It is the only package that writes SQL. Migrations are embedded, numbered
// and forward-only, and are applied by Open. The package imports only the
// standard library, the SQLite driver and small text-encoding helpers; it must
// not import net/http, SMTP libraries or the template engine.
//
// Suppression is the rule everything else bends around: a subscriber whose
// status is unsubscribed, bounced, complained or blocklisted, or whose address
// was removed, is never made active again by an admin path (import, add). Only
// the person's own re-subscription (Store.Resubscribe) may do that.
package subscribers
