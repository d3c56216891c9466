// Package bounce classifies one raw email that arrived in a bounce mailbox:
// a delivery status notification (RFC 3464 and the many non-standard formats
// mail servers still send), a feedback-loop complaint (RFC 5965 ARF and
// provider variants), an auto-reply (RFC 3834) or none of these.
//
// The package is a pure parser: it reads bytes and returns a Result. It owns
// the classification rules (reason names, hard/soft verdicts, status code
// derivation) and must not import other Dispatch packages, touch a database
// or the network. MIME structure is read with github.com/emersion/go-message.
package bounce
