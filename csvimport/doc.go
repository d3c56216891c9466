// Package csvimport reads contact files: CSV exports of any origin
// (Excel, Google Contacts, Mailchimp, listmonk, our own export) in any
// common encoding and delimiter. It detects the encoding and the
// delimiter, maps the header's columns to subscriber fields (or follows
// the admin's mapping), and turns each row into a checked
// subscribers.ContactRow, with its line, or the reason it cannot be
// imported. Committing the rows is the store's work: Import hands them to
// a Store (the SQLite store's ImportRows). PreviewImport shows how a file
// would be read without importing it.
//
// It knows no SQL and no database driver (deps_test.go).
package csvimport
