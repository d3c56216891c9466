// Package bounce classifies one raw email that arrived in a bounce mailbox:
// a delivery status notification (RFC 3464 and the many non-standard formats
// mail servers still send), a feedback-loop complaint (RFC 5965 ARF and provider
// variants), an auto-reply (RFC 3834) or none of these.
//
// The package is a pure parser: it reads bytes and returns a Result. It owns
// the classification rules (reason names, hard/soft verdicts, status code
// derivation) and must not import other Dispatch packages, touch a database
// or the network. MIME structure is read with github.com/emersion/go-message;
// when a bounce's MIME is broken, the parts are split again leniently.
//
// How a message is read, in order:
//
//   - Structure first: a message/feedback-report part (or a provider's
//     complaint form) makes a complaint; a message/delivery-status or
//     message/global-delivery-status part, or report fields in a text part,
//     gives the recipients with their Action, Status and Diagnostic-Code.
//   - Otherwise, when the sender, subject or X-Failed-Recipients say bounce,
//     the prose is read: the quoted original is cut off, the failed addresses
//     are found (not the sender, the bounce address or a help contact) and
//     each gets the reply that follows it.
//   - Auto-replies are recognised last: Exim marks bounces auto-replied too.
//
// Each failure then gets a reason (reason.go, decide.go): the status code,
// the server's words and the SMTP command that was refused are weighed
// together, so "550 5.1.1 ... mailbox full" is mailboxfull and "User
// unknown" said after DATA is a filter, not a dead mailbox. A status the
// notice does not give is derived from the reason and the reply code's class
// (StatusForReason). Hard means the address itself is dead: userunknown,
// hostunknown, hasmoved and notaccept (null MX), plus a suspended mailbox the
// server says is closed for good. Full mailboxes, spam and policy blocks,
// authentication failures, rate limits and expired retries are soft.
package bounce
