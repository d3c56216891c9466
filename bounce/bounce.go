package bounce

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Type is what kind of message arrived in the bounce mailbox.
type Type string

// The message types Parse reports.
const (
	// TypeBounce: delivery failed, or is delayed (Result.Delayed), for at
	// least one recipient. A delay notice is a non-delivery report like any
	// other (RFC 3464 action "delayed"); Delayed says it is only a warning.
	TypeBounce    Type = "bounce"
	TypeComplaint Type = "complaint" // a feedback-loop report (ARF or provider form)
	TypeAutoReply Type = "autoreply" // an out-of-office or other automatic reply
	TypeNone      Type = "none"      // not a bounce, or a success notification
)

// Recipient is one address a notification reports on.
type Recipient struct {
	Address    string `json:"address"`           // the failed original (or final) recipient
	Status     string `json:"status"`            // RFC 3463 status, e.g. "5.1.1"; "" if unknown
	ReplyCode  string `json:"reply_code"`        // SMTP reply code, e.g. "550"; "" if unknown
	Hard       bool   `json:"hard"`              // the address itself is dead; never mail it again
	Blame      Blame  `json:"blame,omitempty"`   // whose problem it is: recipient, mailbox or sender
	Reason     Reason `json:"reason"`            // short machine reason, e.g. "userunknown"
	Diagnostic string `json:"diagnostic"`        // the server's text, one line, trimmed
	Action     string `json:"action,omitempty"`  // RFC 3464 action: failed, delayed, delivered, ...
	Command    string `json:"command,omitempty"` // SMTP command that was rejected, e.g. "RCPT"; "" if unknown
}

// Result is the classification of one message.
type Result struct {
	Type       Type        `json:"type"`
	Recipients []Recipient `json:"recipients"`
	// Delayed is set for a bounce whose every recipient is only delayed
	// (action "delayed"): delivery is still being tried, nothing failed.
	Delayed bool `json:"delayed,omitempty"`

	// OriginalMessageID is the Message-ID of the returned or reported message,
	// without angle brackets, taken from an attached message/rfc822 part,
	// a text/rfc822-headers part or headers quoted inline in the text.
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// DeliveredTo lists the addresses this notification was delivered to
	// (Delivered-To, X-Original-To, Envelope-To, X-Envelope-To, To), first seen
	// first, so the caller can find its VERP token.
	DeliveredTo []string `json:"delivered_to,omitempty"`
	// FeedbackType is the ARF Feedback-Type of a complaint: abuse, fraud, ...
	FeedbackType string `json:"feedback_type,omitempty"`
	// Subject is the decoded Subject of the notification itself.
	Subject string `json:"subject,omitempty"`
	// From is the address the notification came from.
	From string `json:"from,omitempty"`
	// Truncated names the limits the message ran into (a part or the
	// message larger than Parse reads, too many MIME parts), "; "-separated.
	// When set, Recipients may be incomplete: never treat it as the whole
	// report.
	Truncated string `json:"truncated,omitempty"`
	// DroppedRecipients counts the recipients seen past a limit and left
	// out of Recipients (at least this many; a cut message may hold more).
	DroppedRecipients int `json:"dropped_recipients,omitempty"`

	original *originalHeader
}

// OriginalHeader returns the first value of the named header field of the
// returned or reported message (for example a custom X-Dispatch-Delivery
// header), decoded from RFC 2047 when needed, or "" when the notification did
// not carry the original headers.
func (r *Result) OriginalHeader(name string) string {
	return decodeWords(r.original.header().Get(name))
}

// OriginalHeaderValues returns all values of the named header field of the
// returned or reported message, in order.
func (r *Result) OriginalHeaderValues(name string) []string {
	vs := r.original.header().Values(name)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = decodeWords(v)
	}
	return out
}

// HasOriginalHeaders reports whether the notification carried any header of
// the original message.
func (r *Result) HasOriginalHeaders() bool {
	return !r.original.empty()
}

// ErrNotMessage is returned by Parse when the input has no RFC 5322 header.
var ErrNotMessage = errors.New("not an email message")

// maxMessageBytes bounds how much of one message Parse reads. Bounces quote the
// original message, which may carry large attachments the classifier never
// needs; the notification itself is always near the top.
const maxMessageBytes = 16 << 20

// Parse reads one raw email (RFC 5322 bytes) and classifies it. It returns an
// error only when the input cannot be read or is not a message at all; any
// message it can read yields a Result, TypeNone when nothing matched.
// Parse is safe for concurrent use.
func Parse(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMessageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	if len(data) <= maxMessageBytes {
		return ParseBytes(data)
	}
	res, err := ParseBytes(data[:maxMessageBytes])
	if err != nil {
		return nil, err
	}
	res.Truncated = joinReasons(fmt.Sprintf("message larger than %d bytes", maxMessageBytes), res.Truncated)
	return res, nil
}

func joinReasons(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// ParseBytes is Parse for a message already in memory.
func ParseBytes(data []byte) (*Result, error) {
	m, err := readMessage(data)
	if err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	res := classify(m)
	res.Truncated = strings.Join(m.truncated, "; ")
	res.DroppedRecipients = m.dropped
	if res.Recipients == nil {
		res.Recipients = []Recipient{}
	}
	return res, nil
}
