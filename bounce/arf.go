package bounce

import "strings"

// complaint fills res from a feedback report when m is one, and reports
// whether it was. Besides RFC 5965 multipart/report messages it knows the
// forms some providers send instead: Microsoft's JMRP (a message/rfc822
// attachment, subject "complaint about message from ..."), AOL's older
// "Client TOS Notification" and Apple Mail's one-click unsubscribe mail.
func complaint(m *message, res *Result) bool {
	feedbackType := ""
	var rcpts []string
	switch {
	case m.arf != nil:
		feedbackType, rcpts = parseFeedbackReport(m.arf)
	case m.reportType == "feedback-report":
		feedbackType = "abuse"
	case isProviderFBL(m):
		feedbackType = "abuse"
	case isUnsubscribeRequest(m):
		feedbackType = "opt-out"
		rcpts = []string{m.from}
	default:
		return false
	}
	if feedbackType == "" {
		feedbackType = "abuse"
	}
	if len(rcpts) == 0 && m.hasOriginal {
		// The complaining user is the one the reported message was sent to.
		for _, a := range findAddresses(decodeWords(m.original.get("To"))) {
			rcpts = append(rcpts, a.addr)
		}
	}
	if len(rcpts) == 0 {
		rcpts = []string{""}
	}
	res.Type = TypeComplaint
	res.FeedbackType = feedbackType
	for _, a := range dedupe(rcpts) {
		res.Recipients = append(res.Recipients, Recipient{Address: a, Reason: ReasonFeedback})
	}
	return true
}

// parseFeedbackReport reads the fields of a message/feedback-report part.
func parseFeedbackReport(b []byte) (feedbackType string, rcpts []string) {
	var removal []string
	forEachField(b, func(key, val string) {
		switch key {
		case "feedback-type":
			feedbackType = lowerASCII(strings.TrimSpace(cutComment(val)))
		case "original-rcpt-to":
			if a := firstAddress(val); a != "" {
				rcpts = append(rcpts, a)
			}
		case "removal-recipient":
			if a := firstAddress(val); a != "" {
				removal = append(removal, a)
			}
		}
	})
	if len(rcpts) == 0 {
		rcpts = removal
	}
	return feedbackType, rcpts
}

func isProviderFBL(m *message) bool {
	s := lowerASCII(m.subject)
	from := lowerASCII(m.from)
	switch {
	case strings.HasPrefix(s, "complaint about message from"):
		return true
	case from == "staff@hotmail.com" && m.hasOriginal:
		return true
	case from == "scomp@aol.net" && m.hasOriginal:
		return true
	case strings.Contains(s, "client tos notification") && m.hasOriginal:
		return true
	}
	return false
}

// isUnsubscribeRequest recognises the mail a client sends to a
// List-Unsubscribe mailto: address on the user's behalf.
func isUnsubscribeRequest(m *message) bool {
	if strings.EqualFold(strings.TrimSpace(m.header.Get("X-Apple-Unsubscribe")), "true") {
		return true
	}
	return strings.EqualFold(m.subject, "unsubscribe") && m.header.Has("Auto-Submitted")
}

// dedupe drops repeated addresses (case-insensitive), keeping order.
func dedupe(as []string) []string {
	seen := make(map[string]bool, len(as))
	out := as[:0:0]
	for _, a := range as {
		k := lowerASCII(a)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	return out
}
