package mailer

import (
	"errors"
	"regexp"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// verdict is what one SMTP attempt means for its delivery.
type verdict int

const (
	vSent       verdict = iota
	vTemporary          // 4xx or timeout: retry later with backoff
	vConnection         // the connection broke or could not be made: retry, reconnect, maybe another relay
	vHardBounce         // 5xx about the recipient: fail, suppress the address
	vSoftBounce         // 5xx that is about the mailbox but not fatal (full): fail, count a soft bounce
	vRefused            // 5xx about the sender or content: fail without blaming the recipient
)

func (v verdict) String() string {
	return [...]string{"sent", "temporary", "connection", "hard bounce", "soft bounce", "refused"}[v]
}

// outcome is a classified SMTP attempt.
type outcome struct {
	verdict  verdict
	code     int    // SMTP reply code, 0 when there was none
	status   string // RFC 3463 enhanced code, when known
	text     string // the server's words or the error
	reset    bool   // the connection must be dropped and redialled
	possible bool   // the server may have accepted the message anyway
}

var enhancedRE = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)

// recipientWords mark a 5xx reply that is about the mailbox, whatever its
// code says; policyWords mark one that is about us.
var (
	recipientWords = []string{"user unknown", "unknown user", "no such user", "does not exist", "doesn't exist",
		"mailbox unavailable", "mailbox not found", "no mailbox", "invalid recipient", "recipient rejected",
		"recipient address rejected", "address rejected", "unknown recipient", "not found", "no such recipient",
		"account disabled", "account has been disabled", "mailbox disabled", "inactive", "invalid mailbox"}
	policyWords = []string{"spam", "blocked", "blacklist", "blocklist", "reputation", "policy", "dmarc", "spf", "dkim",
		"authentication", "rate limit", "too many", "rejected due to", "content", "virus", "relay"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// classify decides what a go-mail send result means. It looks at the
// message's own result: a batch error may belong to another message.
func classify(m *gomail.Msg, err error) outcome {
	if m != nil && m.IsDelivered() {
		// Accepted; an error now is about the connection afterwards (RSET).
		return outcome{verdict: vSent, code: 250, reset: err != nil}
	}
	if err == nil {
		return outcome{verdict: vConnection, text: "message not delivered and no error reported", reset: true}
	}
	var se *gomail.SendError
	if m != nil {
		if me := m.SendError(); me != nil {
			err = me
		}
	}
	if !errors.As(err, &se) {
		return outcome{verdict: vConnection, text: err.Error(), reset: true}
	}
	text := strings.TrimSpace(se.Error())
	code := se.ErrorCode()
	o := outcome{code: code, text: text, status: se.EnhancedStatusCode()}
	if o.status == "" || strings.HasSuffix(o.status, ".0.0") && !strings.Contains(text, o.status) {
		o.status = enhancedRE.FindString(text)
	}
	switch {
	case code == 0:
		// No reply: the connection died or timed out. After the data was
		// sent, the server may have taken it.
		o.verdict, o.reset = vConnection, true
		o.possible = se.Reason == gomail.ErrSMTPDataClose
		return o
	case code >= 400 && code < 500:
		o.verdict = vTemporary
		o.reset = code == 421 // the server is closing the channel
		return o
	case code < 500:
		o.verdict, o.reset = vConnection, true
		return o
	}
	o.verdict = permanent(se.Reason, code, o.status, strings.ToLower(text))
	return o
}

// permanent sorts a 5xx reply: dead address, full mailbox, or a refusal of
// the sender or content (RFC 3463 classes, then the reply's words).
func permanent(reason gomail.SendErrReason, code int, status, lower string) verdict {
	if reason == gomail.ErrSMTPMailFrom {
		return vRefused
	}
	// X.0.x is "other or undefined status" (RFC 3463): it says nothing
	// about whom the refusal is about, so the reply code and words decide.
	if parts := strings.SplitN(status, ".", 3); len(parts) == 3 && parts[1] != "0" {
		subject, detail := parts[1], parts[2]
		switch subject {
		case "1": // addressing
			switch detail {
			case "7", "8": // bad sender address syntax or system
				return vRefused
			}
			return vHardBounce
		case "2": // mailbox
			switch detail {
			case "2": // full
				return vSoftBounce
			case "3": // message too long for the mailbox
				return vRefused
			}
			return vHardBounce
		case "4": // routing
			if detail == "4" || detail == "1" && !containsAny(lower, policyWords) {
				return vHardBounce
			}
			return vRefused
		case "7": // security and policy: about us, unless it plainly says the user is unknown
			if containsAny(lower, recipientWords) && !containsAny(lower, policyWords) {
				return vHardBounce
			}
			return vRefused
		default: // 5.3 system, 5.5 protocol, 5.6 content
			return vRefused
		}
	}
	if containsAny(lower, policyWords) {
		return vRefused
	}
	if code == 552 && (strings.Contains(lower, "full") || strings.Contains(lower, "quota")) {
		return vSoftBounce
	}
	if reason == gomail.ErrSMTPRcptTo {
		switch code {
		case 550, 551, 553:
			return vHardBounce
		}
		if containsAny(lower, recipientWords) {
			return vHardBounce
		}
		return vRefused
	}
	if containsAny(lower, recipientWords) {
		return vHardBounce
	}
	return vRefused
}
