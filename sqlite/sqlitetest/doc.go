// Package sqlitetest helps tests of other packages reach the states they
// need in a real SQLite store, and read back what the store recorded, so
// that no test outside package sqlite writes SQL.
//
// Open gives a fresh store in the test's temporary directory; Import fills it
// from a fixture of testdata/import as `dispatch import` would. Seed adds a
// list of subscribers and, if asked, a campaign to it. The readers
// (Deliveries, Bounces, CountSubscriptions) and the file checks (Invariants,
// CountSent, Fingerprint) answer questions the store's services do not,
// because only tests ask them. They open their own connection to the file.
package sqlitetest
