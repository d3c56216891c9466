package mailer

import (
	"errors"
	"net/textproto"
	"regexp"
	"strings"
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

// classify decides what the result of conn.send means.
func classify(err error) outcome {
	if err == nil {
		return outcome{verdict: vSent, code: 250}
	}
	var se *sendError
	if !errors.As(err, &se) {
		return outcome{verdict: vConnection, text: err.Error(), reset: true}
	}
	text := strings.TrimSpace(se.Error())
	var reply *textproto.Error
	if !errors.As(se.err, &reply) {
		// No reply: the connection died or timed out. Once the whole
		// message was sent, the server may have taken it.
		return outcome{verdict: vConnection, text: text, reset: true, possible: se.step == stepEnd}
	}
	code := reply.Code
	o := outcome{code: code, text: text, status: enhancedRE.FindString(reply.Msg)}
	if o.status != "" && int(o.status[0]-'0') != code/100 {
		o.status = "" // RFC 3463: the class must match the reply's
	}
	// A refused DATA command leaves the session in a state servers
	// disagree on; a failed RSET leaves it out of step. Start afresh.
	o.reset = se.step == stepData || se.outOfStep
	switch {
	case code >= 400 && code < 500:
		o.verdict = vTemporary
		o.reset = o.reset || code == 421 // the server is closing the channel
	case code >= 500 && code < 600:
		o.verdict = permanent(se.step, code, o.status, strings.ToLower(reply.Msg))
	default:
		o.verdict, o.reset = vConnection, true
	}
	return o
}

// permanent sorts a 5xx reply: dead address, full mailbox, or a refusal of
// the sender or content (RFC 3463 classes, then the reply's words).
func permanent(step step, code int, status, lower string) verdict {
	if step == stepMail {
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
	if step == stepRcpt {
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
