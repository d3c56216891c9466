// Package apply records a classified bounce or complaint against the
// subscriber it is about. It is the one path for that: the bounce-mailbox
// processor (package bounce/inbox) and the provider webhooks (package web)
// both turn what they read into a Report and call Applier.Apply, so the two
// cannot drift apart.
//
// Attribution, most trusted first: a signed delivery token the reader found
// (in the VERP address, the returned Message-ID, X-Dispatch-Delivery,
// CFBL-Feedback-ID or a provider variable), in the order the reader lists
// them; then the failed recipient's address alone. Tokens are HMAC-signed,
// so a forged one is never trusted; it only falls through to matching by
// address, which anyone could forge. That applies only to a report naming
// few recipients who were mailed recently (subscribers.BouncePolicy);
// anything else is recorded as unattributed for review and changes no one.
//
// A refusal about the sender (bounce.BlameSender: our address, domain,
// authentication, policy or content) is never charged to the recipient: a
// report made only of such refusals records nothing and says so.
//
// The policy itself (a hard bounce suppresses at once, a complaint at once,
// soft bounces once enough fall within the window, a report's key makes a
// second reading a no-op) is applied by the store in one transaction; this
// package decides what to ask of it.
//
// The package depends on a small Store interface, not on the SQLite store,
// and must not import web, cmd or bounce/inbox.
package apply
