// Package tracking counts what readers do with a campaign without watching
// them: which links were clicked, by people or by the security scanners
// that follow every link of a message, and how many distinct people per
// link and day, and (optionally) how often the open pixel was fetched.
//
// Clicks are counted in memory and flushed to the store at least every
// second, so the redirect answers without waiting for the disk and a crash
// loses at most the last second. Telling people apart uses an HMAC with a
// salt that lives in memory for one day and is then thrown away: after the
// day ends, nothing can link two clicks, let alone a click and a person.
//
// It imports the domain (subscribers) and the standard library only.
package tracking
