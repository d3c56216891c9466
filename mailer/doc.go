// Package mailer delivers a compiled issue to a campaign's recipients over
// SMTP: persistent connections per worker, one shared smooth rate limit
// (plus hourly and daily caps), retries with exponential backoff and
// jitter for temporary failures, hard bounces recorded at once, several
// relays with failover, and a ledger that records every state change.
//
// A relay that cannot be reached (refused, timed out, TLS or AUTH failure,
// a 421 greeting, a connection lost before RCPT) is at fault, not the
// recipient: the delivery goes back without using an attempt, the run
// waits for the relay with backoff (outage.go), and pauses the campaign
// after Config.RelayDownPause without any relay. The connection is made
// before a delivery is marked "sending", so waiting is never time at risk.
//
// go-mail dials the relays (TLS, STARTTLS, AUTH, EHLO). Each message is
// encoded here, into a buffer its worker reuses: headers folded and RFC
// 2047 encoded, multipart/alternative with quoted-printable parts written
// so that no line starts with "." (DATA takes it without dot-stuffing),
// signed with go-msgauth when DKIM is configured, and sent as MAIL, RCPT,
// DATA and one write of the message through go-mail's smtp.Client.
//
// The ledger rule: a delivery is marked "sending" (durably, in a group
// commit) right before its message goes on the wire, and marked "sent" only
// after the server accepted it. Each worker has at most one delivery in
// "sending" at a time, so a crash can duplicate at most one message per
// connection; the next run re-sends those and reports them.
//
// mailer imports subscribers (types and the Store it declares below) and
// templates; it knows nothing of configuration files or HTTP.
package mailer
