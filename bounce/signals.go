package bounce

import "strings"

// bounceSubjects appear in the subjects of bounces (lowercase).
var bounceSubjects = []string{
	"undeliver", "undelivered", "returned mail", "returning message", "return mail", "returned to sender",
	"delivery status notification", "delivery failure", "delivery failed", "failure notice", "failure delivery",
	"mail delivery failed", "delivery notification", "non remis", "non recapitabile", "nicht zustellbar",
	"unzustellbar", "no entregado", "could not be delivered", "couldn't be delivered", "mail system error",
	"message not delivered", "delivery problem", "delivery has failed", "bounce", "nondeliverable",
	"non-deliverable", "not delivered", "delivery status", "delayed mail", "delivery delayed",
	"message delayed", "mail could not be delivered", "error sending", "error delivering", "mail delivery",
	"delivery report", "failed delivery", "delivery error", "warning: message", "blocked by", "rejected",
	"mail failure", "mail failed", "unable to deliver", "cannot be delivered", "returned message",
	"message you sent", "delivery final failure", "unsuccessful delivery", "not be delivered",
	"send failure", "postmaster notify", "undeliverable message", "メールエラー", "配信エラー", "配送エラー",
	"送信エラー", "不達", "未達", "配信不能", "エラー通知", "nicht zugestellt", "non consegnato", "não entregue",
	"no se pudo entregar", "onbestelbaar", "kunde inte levereras",
}

// strongBouncePhrases say in so many words that a message was not delivered;
// with the returned message attached they mark a bounce from any sender.
var strongBouncePhrases = []string{
	"could not be delivered to", "couldn't be delivered to", "was not delivered to", "wasn't delivered to",
	"delivery to the following recipient", "delivery has failed to these recipients",
	"the following addresses had permanent fatal errors", "the following address(es) failed",
	"i'm afraid i wasn't able to deliver", "unable to deliver your message to the following",
	"undeliverable to the following", "your message could not be delivered", "message could not be delivered",
	"delivery failed for the following", "送信できませんでした", "配信できませんでした", "届けられませんでした",
}

// bouncePhrases appear in the prose of bounces (lowercase).
var bouncePhrases = []string{
	"could not be delivered", "couldn't be delivered", "was not delivered", "wasn't delivered",
	"delivery has failed", "delivery failed", "failed to deliver", "unable to deliver", "undeliverable",
	"permanent error", "permanent failure", "permanently", "following address", "following recipient",
	"delivery to the following", "was unable to deliver", "wasn't able to deliver", "not able to deliver",
	"returned to sender", "could not deliver", "couldn't deliver", "did not reach", "has not been delivered",
	"not yet been delivered", "delivery error", "delivery problem", "message you sent", "mail delivery",
	"remote host said", "said:", "smtp error", "does not like recipient", "rejected", "delivery attempts",
	"user unknown", "mailbox", "transcript of session", "error delivering", "returning message",
}

// isDaemonSender reports whether the notice comes from mail software.
func (m *message) isDaemonSender() bool {
	if isDaemonAddress(m.from) || strings.EqualFold(m.from, "MAILER-DAEMON") || m.from == "" || m.from == "<>" {
		return true
	}
	from := lowerASCII(decodeWords(m.header.Get("From")))
	for _, w := range [...]string{"mailer-daemon", "mail delivery", "postmaster", "mail administrator",
		"mail system", "delivery subsystem", "deliver system", "delivery system", "mailer daemon"} {
		if strings.Contains(from, w) {
			return true
		}
	}
	return false
}

func (m *message) hasBounceSubject() bool {
	s := lowerASCII(m.subject)
	for _, p := range bounceSubjects {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func hasBouncePhrase(lower string) bool {
	return hasAnyPhrase(lower, bouncePhrases) || replyLine(lower)
}

func hasAnyPhrase(lower string, ps []string) bool {
	for _, p := range ps {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// replyLine reports whether some line of the text holds an SMTP error reply.
func replyLine(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		if replyStart(l) >= 0 {
			return true
		}
	}
	return false
}

// isBounceLike weighs the signals of a prose bounce. Structure alone (a
// report type, an X-Failed-Recipients header) is enough; otherwise a
// daemon sender or a bounce subject must come with bounce wording.
func (m *message) isBounceLike(noticeLower string) bool {
	if m.header.Has("X-Failed-Recipients") || m.reportType == "delivery-status" {
		return true
	}
	signals := 0
	if m.isDaemonSender() {
		signals++
	}
	if m.hasBounceSubject() {
		signals++
	}
	if m.hasOriginal && hasAnyPhrase(noticeLower, strongBouncePhrases) {
		signals++
	}
	if signals == 0 {
		return false
	}
	return hasBouncePhrase(noticeLower) || signals == 2
}

// isAutoReplyOnly reports an auto-reply that shows no sign of being a
// bounce: vacation responders are people's mailboxes, not daemons.
func (m *message) isAutoReplyOnly(noticeLower string) bool {
	if !isAutoReply(m) || m.header.Has("X-Failed-Recipients") || m.isDaemonSender() || m.hasBounceSubject() {
		return false
	}
	return true
}

// isDelayNotice reports a notice that delivery is delayed but still tried.
func (m *message) isDelayNotice(noticeLower string) bool {
	s := lowerASCII(m.subject)
	subj := false
	for _, p := range [...]string{"delayed", "delay", "warning: message", "still being retried", "will retry", "not yet delivered", "deferred"} {
		if strings.Contains(s, p) {
			subj = true
			break
		}
	}
	if !subj {
		return false
	}
	for _, p := range [...]string{"give up", "giving up", "gave up", "permanent", "will not be delivered", "could not be delivered"} {
		if strings.Contains(noticeLower, p) && !strings.Contains(noticeLower, "not yet") {
			return false
		}
	}
	return true
}
