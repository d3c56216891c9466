// Package inbox applies what arrives in the bounce mailbox to the store:
// delivery status notifications, feedback-loop complaints and mail sent to
// the List-Unsubscribe mailto: address. It reads messages from mbox files,
// maildirs, single files or an IMAP mailbox, classifies each one with
// package bounce and records the result through package bounce/apply, the
// one path that applies bounces (the webhooks use it too), and a small
// consumer-side Store interface that *sqlite.Store satisfies.
//
// Attribution, most trusted first: the signed delivery token in the VERP
// address the notification was delivered to; the token in the returned
// message's Message-ID, X-Dispatch-Delivery, CFBL-Feedback-ID or
// Return-Path header (or the notification's In-Reply-To/References); the
// failed recipient's address. Tokens are HMAC-signed, so a forged one is
// never trusted; it only falls through to matching by address, which
// anyone could forge: it applies only to a report naming a few recipients
// who were mailed recently (subscribers.BouncePolicy), and anything else
// is recorded as unattributed and changes no one.
//
// Processing is idempotent by message: every recorded bounce carries a key
// made from the notification's Message-ID (or, without one, a hash of its
// bytes) and the recipient, so the same message read twice, from an mbox
// and again over IMAP, changes nothing the second time.
//
// The package must not import cmd or web; the CLI and `dispatch serve`
// wire it up.
package inbox
