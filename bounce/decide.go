package bounce

import "strings"

// cause is what is known about one failure when its reason is decided.
type cause struct {
	action   string
	status   string
	reply    string
	text     string  // the server's text, lowercase
	found    matches // the phrases in text
	command  string
	diagType string
	sender   string // the envelope sender, lowercase, if known
}

// retryable reasons are the ones a status code names too loosely to trust
// over the wording: the text gets a second look when the status says one.
var retryable = map[Reason]bool{
	"": true, ReasonUndefined: true, ReasonOnHold: true, ReasonSystemError: true, ReasonSecurityError: true,
	ReasonExpired: true, ReasonNetworkError: true, ReasonHostUnknown: true, ReasonUserUnknown: true,
}

// decideReason names the cause of one failure. First each reason in
// probeOrder checks the status code, the wording and the SMTP command
// together; when none claims the failure (or the diagnostic is not an SMTP
// reply), the wording alone is tried, then what the status code, the
// command and the action imply.
//
// A failure about the sender (senderBlamed) never gets a reason that blames
// the recipient: it becomes ReasonRejected unless the rules found a more
// precise sender-side reason (authfailure, blocked, ...).
func decideReason(c cause) Reason {
	switch c.action {
	case "delivered", "relayed", "expanded":
		return ReasonDelivered
	}
	byStatus := reasonFromStatus(c.status)
	if byStatus == ReasonDelivered {
		return ReasonDelivered
	}
	c.found = phraseIdx().scan(c.text)
	r := reasonByRules(c, byStatus)
	if BlameOf(r) != BlameSender && senderBlamed(c) {
		return ReasonRejected
	}
	return r
}

// reasonByRules is decideReason without the sender override.
func reasonByRules(c cause, byStatus Reason) Reason {
	if has(ruleDefinite, c.found) && !has(ruleFromFilter, c.found) {
		return ReasonUserUnknown
	}
	if c.diagType == "" || c.diagType == "smtp" {
		for _, r := range probeOrder {
			if probe(r, byStatus, c) {
				return r
			}
		}
	}
	if r := fallback(byStatus, c); r != "" {
		return r
	}
	switch {
	case c.action == "delayed":
		return ReasonExpired
	case c.text != "":
		return ReasonOnHold
	}
	return ReasonUndefined
}

// preData are the commands before DATA: a refusal there cannot be a
// content filter.
func preData(cmd string) bool {
	switch cmd {
	case "CONN", "HELO", "MAIL", "RCPT":
		return true
	}
	return false
}

// probe reports whether reason r explains the failure.
func probe(r, byStatus Reason, c cause) bool {
	t := c.found
	switch r {
	case ReasonUserUnknown:
		if has(ruleFromFilter, t) {
			return false
		}
		if has(ruleDefinite, t) {
			return true
		}
		if byStatus == ReasonUserUnknown {
			// An address status with words for another cause: the words win.
			for _, other := range [...]Reason{ReasonMailboxFull, ReasonHasMoved, ReasonRejected, ReasonNotAccept, ReasonBlocked} {
				if has(other, t) {
					return false
				}
			}
			return true
		}
		// A security or policy status (X.7.x) with the common "user
		// unknown" words is a policy refusal worded loosely; only wording
		// that names the recipient as refused overrides the code.
		if policyStatus(c.status) && !strings.Contains(c.text, "recipient address rejected") {
			return false
		}
		// Without a mailbox status the words count only when the server
		// refused the recipient itself (at RCPT, or with an address status
		// such as 5.1.10); after DATA they describe a filter.
		if c.command == "RCPT" || c.command == "" && c.status == "" && rcptReplyForm(c.text) || addressStatus(c.status) {
			return has(ReasonUserUnknown, t)
		}
		return false
	case ReasonFiltered:
		if byStatus == ReasonFiltered {
			return has(ReasonUserUnknown, t) || has(ReasonFiltered, t)
		}
		if preData(c.command) {
			return false
		}
		return has(ReasonFiltered, t) || has(ReasonUserUnknown, t)
	case ReasonRejected:
		if byStatus == ReasonRejected {
			return true
		}
		if !has(ReasonRejected, t) {
			return false
		}
		switch {
		case c.command == "MAIL":
			return true
		case c.command == "DATA":
			return byStatus != ReasonUserUnknown
		}
		return retryable[byStatus] && byStatus != ReasonUserUnknown && byStatus != ReasonHostUnknown ||
			byStatus == ""
	case ReasonHostUnknown:
		if byStatus == ReasonHostUnknown {
			return !has(ReasonNetworkError, t)
		}
		return has(ReasonHostUnknown, t)
	case ReasonSuspend:
		return c.reply == "525" || has(ReasonSuspend, t)
	case ReasonNoRelaying, ReasonNotCompliantRFC, ReasonSpeeding:
		return has(r, t)
	}
	return byStatus == r || has(r, t)
}

// fallback decides from the wording alone, then from the status code and
// what the SMTP dialogue implies.
func fallback(byStatus Reason, c cause) Reason {
	if retryable[byStatus] || c.diagType != "" && c.diagType != "smtp" {
		if r := firstIncluded(fallbackOrder, c.found); r != "" {
			return r
		}
		if byStatus != "" {
			return byStatus
		}
		if len(c.status) > 3 {
			switch c.status[1:3] {
			case ".6":
				return ReasonContentError
			case ".7":
				return ReasonSecurityError
			}
		}
		switch {
		case strings.HasPrefix(c.diagType, "x-unix"):
			return ReasonMailerError
		case has(ReasonSyntaxError, c.found):
			return ReasonSyntaxError
		case c.action == "delayed":
			return ReasonExpired
		case c.command == "HELO" || c.command == "CONN":
			return ReasonBlocked
		}
		switch c.reply {
		case "521", "556":
			return ReasonNotAccept // RFC 7504: the host accepts no mail
		}
		return ""
	}
	return byStatus
}

// addressStatus reports a destination address status (x.1.y other than the
// sender codes x.1.7 and x.1.8).
func addressStatus(status string) bool {
	return len(status) > 4 && status[1:4] == ".1." && status[4:] != "7" && status[4:] != "8"
}

// rcptReplyForm reports a reply in the form Sendmail and its kin give to
// RCPT TO: the address, "...", then the words ("550 a@b.example... No such
// user"). It names the mailbox refused, so the reply is about the recipient
// even when the report says neither the command nor a status.
func rcptReplyForm(lower string) bool {
	i := strings.Index(lower, "... ")
	if i <= 0 {
		return false
	}
	j := strings.LastIndexAny(lower[:i], " <")
	return strings.IndexByte(lower[j+1:i], '@') > 0
}
