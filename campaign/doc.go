// Package campaign is the send use case: it finds or creates the campaign
// for an issue and a list, restores the snapshot a resumed campaign started
// with, runs the mailer over what is still owed, and records where the
// campaign stands afterwards (sending, paused or finished).
//
// The CLI (`dispatch send`) and the admin console call the same Service,
// so there is one way a campaign is created, started, resumed, paused and
// finished. It depends on small interfaces (Store, Sender), never on the
// SQLite store itself, and it reads no configuration: cmd/dispatch passes
// a Config.
package campaign
