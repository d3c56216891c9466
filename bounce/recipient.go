package bounce

import "strings"

// fact is what one format parser learned about one recipient before the
// common rules (status derivation, reason, hardness) turn it into a
// Recipient.
type fact struct {
	addr     string
	action   string // RFC 3464 action, lowercase; "" means failed
	status   string // from a Status: field or the text
	reply    string
	diag     string // the server's text
	context  string // surrounding text: the SMTP command and the notice's own words
	command  string
	diagType string // the Diagnostic-Code type: "smtp", "x-postfix", ...; "" for prose
	reason   Reason // set by a parser that knows better than the phrase rules
	sender   string // the envelope sender, lowercase, when known (Judge)
}

const maxDiagnostic = 1000

// maxCommandContext bounds the text searched for the SMTP command: it is
// printed next to the failed address, at the start of its block.
const maxCommandContext = 2 << 10

// finish applies the common rules to a fact.
func (f fact) finish() Recipient {
	diag := oneLine(f.diag)
	if len(diag) > maxDiagnostic {
		diag = diag[:maxDiagnostic]
	}
	lower := lowerASCII(diag)

	reply := f.reply
	if reply == "" {
		reply = findReply(diag)
	}
	status := preferStatus(f.status, textStatus(diag, f.status), reply)
	if status != "" && status[0] == '2' && f.action != "delivered" && f.action != "relayed" && f.action != "expanded" && reply != "" && reply[0] != '2' {
		// A success status on a failed recipient is a mistake; trust the reply.
		status = ""
	}
	if expiredStatus(status) {
		// RFC 3463, X.4.7: "the code for the actual problem found when
		// delivery was attempted should be returned rather than this
		// code". When the notice quotes that problem's code, take it.
		if actual := underlyingStatus(f.context, status); actual != "" {
			status = actual
		}
	}
	cmd := f.command
	if cmd == "" {
		ctx := f.context
		if len(ctx) > maxCommandContext {
			ctx = ctx[:maxCommandContext]
		}
		cmd = smtpCommand(ctx + "\n" + diag)
	}

	reason := f.reason
	if reason == "" {
		reason = decideReason(cause{action: f.action, status: status, reply: reply, text: lower, command: cmd,
			diagType: f.diagType, sender: f.sender})
	}
	if status == "" {
		class := byte('5')
		switch {
		case reply != "":
			class = reply[0]
		case f.action == "delayed", retriesRanOut(lower):
			// Still trying; or gave up on a condition that was only ever
			// temporary (RFC 3463 X.4.7: report the actual problem).
			class = '4'
		}
		status = StatusForReason(reason, class)
	}
	blame := BlameOf(reason)
	switch {
	case reason == ReasonSuspend && permanentlyClosed(lower):
		blame = BlameRecipient
	case blame != BlameRecipient && policyStatus(status):
		// X.7.x is security or policy (RFC 3463): about the sender or the
		// message unless the words prove the address dead.
		blame = BlameSender
	}
	action := f.action
	if action == "" {
		action = "failed"
	}
	return Recipient{
		Address:    strings.Trim(f.addr, "<>\"' "),
		Status:     status,
		ReplyCode:  reply,
		Hard:       blame == BlameRecipient,
		Blame:      blame,
		Reason:     reason,
		Diagnostic: diag,
		Action:     action,
		Command:    cmd,
	}
}

// textStatus returns the status code in a reply text: the first one that
// differs from the report's own (relays quote the final server's reply
// after their own code), else the first.
func textStatus(diag, field string) string {
	first := ""
	for i := 0; i < len(diag); i++ {
		c := diag[i]
		if c != '2' && c != '4' && c != '5' {
			continue
		}
		n := statusAt(diag, i)
		if n == 0 {
			continue
		}
		st := diag[i : i+n]
		if field == "" || st != field {
			if first == "" || field != "" {
				return st
			}
		}
		if first == "" {
			first = st
		}
		i += n
	}
	return first
}

// preferStatus chooses between the status a report states (field) and
// the one in the server's reply text. The text is the server's own word and
// wins when the field is generic (x.0.0, x.y.0) or one of the codes relays
// use loosely (4.4.7 "expired", 4.7.0, 5.3.x, x.5.x, 5.1.1 over a specific
// code); when the two differ in class, the SMTP reply code decides.
func preferStatus(field, text, reply string) string {
	switch {
	case field == "":
		return text
	case text == "" || field == text:
		return field
	}
	if reply != "" && field[0] != text[0] {
		if reply[0] == field[0] {
			return field
		}
		if reply[0] == text[0] {
			return text
		}
	}
	fieldZero, textZero := strings.HasSuffix(field, ".0.0"), strings.HasSuffix(text, ".0.0")
	switch {
	case fieldZero:
		if textZero {
			return field
		}
		return text
	case strings.Contains(field, ".0") && !strings.Contains(text, ".0"):
		return text
	case textZero:
		return field
	case field == "4.4.7", field == "4.7.0", strings.HasPrefix(field, "5.3."):
		return text
	case len(field) > 3 && field[1:4] == ".5." && field != "5.5.0" && field != "4.5.0":
		return text
	case field == "5.1.1":
		if strings.Contains(text, ".0") || strings.HasPrefix(text, "5.5.") {
			return field
		}
		return text
	case field == "5.1.3" && strings.HasPrefix(text, "5.7."):
		return text
	}
	return field
}

// permanentlyClosed reports whether a suspended-mailbox text says the
// closure is final, which makes the address dead.
func permanentlyClosed(lower string) bool {
	return strings.Contains(lower, "permanently") || strings.Contains(lower, "no longer") ||
		strings.Contains(lower, "deleted") || strings.Contains(lower, "terminated") ||
		strings.Contains(lower, "closed")
}

// oneLine collapses runs of white space (including line breaks) to one
// space and trims the ends.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// policyStatus reports an X.7.x (security or policy) status.
func policyStatus(status string) bool {
	return len(status) > 4 && status[1:4] == ".7."
}

// expiredStatus reports X.4.7, delivery time expired.
func expiredStatus(status string) bool { return len(status) == 5 && status[1:] == ".4.7" }

// underlyingStatus returns the last status code in text, of the same class
// as expired, that is not itself "expired" or generic (X.0.0): the code of
// the last attempt that failed before the message expired.
func underlyingStatus(text, expired string) string {
	found := ""
	for i := 0; i < len(text); i++ {
		if text[i] != expired[0] {
			continue
		}
		n := statusAt(text, i)
		if n == 0 {
			continue
		}
		st := text[i : i+n]
		if !expiredStatus(st) && !strings.HasSuffix(st, ".0.0") {
			found = st
		}
		i += n
	}
	return found
}

// retriesRanOut reports a failure whose only cause is that retrying a
// temporary error went on too long (Exim's wording).
func retriesRanOut(lower string) bool {
	return strings.Contains(lower, "retry timeout exceeded") || strings.Contains(lower, "have been failing for a long time")
}
