// Package sqlite is the SQLite store of Dispatch's domain (package
// subscribers): subscribers, lists, subscriptions, the append-only event
// log, suppressions, campaigns and their delivery ledger, bounces, backups,
// and the CSV import, all in one SQLite file.
//
// It is the only package that writes SQL. Migrations are embedded, numbered
// and forward-only, and are applied by Open. It must not import net/http,
// SMTP libraries or the template engine.
package sqlite
