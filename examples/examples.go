// Package examples holds the sample contacts and issue that ship inside the
// binary, so that `dispatch quickstart` runs on a fresh machine with no files.
package examples

import _ "embed"

// ContactsCSV is a small client list in Mailchimp's export format.
//
//go:embed contacts.csv
var ContactsCSV []byte

// IssueMD is a weekly security briefing in the issue format: front
// matter, a title, a byline, six stories and a closing paragraph.
//
//go:embed issue.md
var IssueMD []byte
