package bounce

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// sesNotification is the part of an Amazon SES event notification (bounce,
// complaint or delivery) that the classifier reads. Such notifications
// reach a mailbox when an SNS topic is subscribed by email.
type sesNotification struct {
	kind         string // Bounce, Complaint, Delivery, ...
	subType      string // bounceSubType
	feedbackType string
	bounced      []sesRecipient
	complained   []string
	delivered    []string
	smtpResponse string
	headers      textproto.Header
}

type sesRecipient struct {
	addr, action, status, diag string
}

// sesEvent decodes an SES notification from a text body, directly or inside
// an SNS envelope ({"Type": "Notification", "Message": "..."}). Mail
// gateways wrap or cut long lines, so the JSON is read as a token stream and
// whatever precedes a break is kept.
func sesEvent(body string) (*sesNotification, bool) {
	if !strings.Contains(body, "notificationType") && !strings.Contains(body, "eventType") {
		return nil, false
	}
	i := strings.IndexByte(body, '{')
	if i < 0 {
		return nil, false
	}
	raw := body[i:]
	// SNS marks its own line breaks with "!"; other wrapping is plain.
	raw = strings.NewReplacer("!\r\n ", "", "!\n ", "", "\r\n ", "", "\n ", "").Replace(raw)
	n := &sesNotification{}
	n.walk(raw, 0)
	return n, n.kind != ""
}

// walk reads the JSON tokens of raw, recording the fields it knows.
func (n *sesNotification) walk(raw string, depth int) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		key   string // the key this container is the value of
		array bool
	}
	var stack []frame
	key := ""
	expectKey := false
	var cur sesRecipient
	var hdrName, hdrValue string
	path := func(name string) bool {
		for _, f := range stack {
			if f.key == name {
				return true
			}
		}
		return false
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				// A cut or broken stream: keep what was read.
				if cur.addr != "" {
					n.bounced = append(n.bounced, cur)
				}
			}
			return
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{key: key, array: t == '['})
				expectKey = t == '{'
				if t == '{' {
					cur, hdrName, hdrValue = sesRecipient{}, "", ""
				}
			case '}', ']':
				if len(stack) == 0 {
					return
				}
				stack = stack[:len(stack)-1]
				if t == '}' {
					switch {
					case path("bouncedRecipients") && cur.addr != "":
						n.bounced = append(n.bounced, cur)
					case path("headers") && hdrName != "":
						n.headers.Add(hdrName, hdrValue)
					}
					cur = sesRecipient{}
				}
				expectKey = len(stack) > 0 && !stack[len(stack)-1].array
			}
			key = ""
			if len(stack) > 0 && stack[len(stack)-1].array {
				key = stack[len(stack)-1].key
			}
		case string:
			inArray := len(stack) > 0 && stack[len(stack)-1].array
			if expectKey && !inArray {
				key = t
				expectKey = false
				continue
			}
			n.field(key, t, path, &cur, &hdrName, &hdrValue, depth)
			if !inArray {
				expectKey = true
			}
		default:
			if len(stack) > 0 && !stack[len(stack)-1].array {
				expectKey = true
			}
		}
	}
}

// field records one string value found under key.
func (n *sesNotification) field(key, v string, path func(string) bool, cur *sesRecipient, hdrName, hdrValue *string, depth int) {
	switch key {
	case "Message":
		if depth == 0 && strings.Contains(v, "{") {
			n.walk(v, depth+1)
		}
	case "notificationType", "eventType":
		if n.kind == "" {
			n.kind = v
		}
	case "bounceSubType":
		n.subType = v
	case "complaintFeedbackType":
		n.feedbackType = v
	case "smtpResponse":
		n.smtpResponse = v
	case "emailAddress":
		switch {
		case path("bouncedRecipients"):
			cur.addr = v
		case path("complainedRecipients"):
			n.complained = append(n.complained, v)
		}
	case "action":
		cur.action = v
	case "status":
		cur.status = v
	case "diagnosticCode":
		cur.diag = v
	case "recipients":
		if path("delivery") {
			n.delivered = append(n.delivered, v)
		}
	case "name":
		*hdrName = v
	case "value":
		*hdrValue = v
	}
}

// sesResult fills res from an SES notification.
func sesResult(n *sesNotification, res *Result) {
	if n.headers.Len() > 0 && res.original.empty() {
		res.original = parsedOriginalHeader(n.headers)
		res.OriginalMessageID = messageID(n.headers.Get("Message-Id"))
	}
	switch lowerASCII(n.kind) {
	case "bounce":
		facts := make([]fact, 0, len(n.bounced))
		for _, br := range n.bounced {
			f := fact{addr: br.addr, action: lowerASCII(br.action), status: findStatus(br.status)}
			f.diagType, f.diag = splitTyped(br.diag)
			f.diagType = lowerASCII(f.diagType)
			if f.diag == "" {
				f.reason = sesSubTypeReason(n.subType)
			}
			if f.action == "" {
				f.action = "failed"
			}
			facts = append(facts, f)
		}
		res.Type, res.Recipients = summarise(facts)
		if len(facts) == 0 {
			res.Type = TypeBounce
		}
	case "complaint":
		res.Type = TypeComplaint
		res.FeedbackType = lowerASCII(n.feedbackType)
		if res.FeedbackType == "" {
			res.FeedbackType = "abuse"
		}
		for _, a := range n.complained {
			res.Recipients = append(res.Recipients, Recipient{Address: a, Reason: ReasonFeedback})
		}
	case "delivery":
		res.Type = TypeNone
		for _, a := range n.delivered {
			f := fact{addr: a, action: "delivered", diag: n.smtpResponse}
			res.Recipients = append(res.Recipients, f.finish())
		}
	default:
		res.Type = TypeNone
	}
}

func sesSubTypeReason(sub string) Reason {
	switch sub {
	case "NoEmail":
		return ReasonUserUnknown
	case "MailboxFull":
		return ReasonMailboxFull
	case "MessageTooLarge":
		return ReasonMesgTooBig
	case "ContentRejected", "AttachmentRejected":
		return ReasonPolicyViolation
	case "Suppressed", "OnAccountSuppressionList":
		return ReasonSuppressed
	}
	return ""
}
