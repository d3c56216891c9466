package mailer

import (
	"errors"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/bounce"
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
	code     int           // SMTP reply code, 0 when there was none
	status   string        // RFC 3463 enhanced code, when known
	text     string        // the server's words or the error
	reset    bool          // the connection must be dropped and redialled
	possible bool          // the server may have accepted the message anyway
	reason   bounce.Reason // the shared classifier's reason for a 5xx
}

var enhancedRE = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)

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
	words := reply.Msg
	if o.status != "" && int(o.status[0]-'0') != code/100 {
		// RFC 3463: the class must match the reply's; a code that does
		// not is no evidence, for us or for the classifier.
		words = strings.Replace(words, o.status, "", 1)
		o.status = ""
	}
	// A refused DATA command leaves the session in a state servers
	// disagree on; a failed RSET leaves it out of step. Start afresh.
	o.reset = se.step == stepData || se.outOfStep
	switch {
	case code >= 400 && code < 500:
		o.verdict = vTemporary
		o.reset = o.reset || code == 421 // the server is closing the channel
	case code >= 500 && code < 600:
		o.verdict, o.reason = permanent(se.step, code, o.status, words, se.from)
	default:
		o.verdict, o.reset = vConnection, true
	}
	return o
}

// permanent sorts a 5xx reply with the classifier every channel shares
// (bounce.Judge: RFC 3463 status, then the words, with the sender-blame
// rules first), so a reply gets the verdict here that it gets when it comes
// back in a DSN or a webhook. sender is the envelope sender: a reply that
// names it is about us.
func permanent(step step, code int, status, text, sender string) (verdict, bounce.Reason) {
	v := bounce.Judge(bounce.Reply{Code: strconv.Itoa(code), Status: status, Text: text, Command: step.command(), Sender: sender})
	switch v.Blame {
	case bounce.BlameRecipient:
		return vHardBounce, v.Reason
	case bounce.BlameMailbox:
		return vSoftBounce, v.Reason
	}
	// The sender, the content or policy, or a refusal that gives no cause:
	// never the recipient's fault.
	return vRefused, v.Reason
}

// command is the SMTP command a step answers.
func (s step) command() string {
	switch s {
	case stepMail:
		return "MAIL"
	case stepRcpt:
		return "RCPT"
	}
	return "DATA"
}
