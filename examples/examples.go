// Package examples holds the sample contacts and issue that ship inside the
// binary, so that `dispatch quickstart` runs on a fresh machine with no files.
package examples

import _ "embed"

// ContactsCSV is a small client list in Mailchimp's export format.
//
//go:embed contacts.csv
var ContactsCSV []byte
