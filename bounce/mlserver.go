package bounce

import "strings"

// listServerFacts reads the notice a mailing-list manager sends back to the
// author of a post it did not distribute (fml marks its mail with
// X-MLServer; its notices carry no status and no SMTP reply). The post was
// refused because of its sender ("you are not a member") or because the
// list saw it before (a loop): both the sender's problem, never a dead
// address. The failed recipient is the list.
func listServerFacts(m *message, notice, noticeLower string) []fact {
	server := lowerASCII(m.header.Get("X-Mlserver") + " " + m.header.Get("X-Ml-Server"))
	if !strings.Contains(server, "fml") {
		return nil
	}
	var reason Reason
	switch {
	case strings.Contains(noticeLower, "not a member") || strings.Contains(lowerASCII(m.subject), "not member") ||
		strings.Contains(noticeLower, "members only") || strings.Contains(noticeLower, "not allowed to post"):
		reason = ReasonRejected
	case strings.Contains(noticeLower, "loop") || strings.Contains(lowerASCII(m.subject), "loop alert") ||
		strings.Contains(noticeLower, "duplicated message-id"):
		reason = ReasonSystemError
	default:
		return nil // a command reply or a guide: not a refusal
	}
	addr := ""
	if as := findAddresses(notice); len(as) > 0 {
		addr = as[0].addr
	} else if to := headerAddresses(m.original.values("To")); len(to) > 0 {
		addr = to[0]
	}
	return []fact{{addr: addr, action: "failed", reason: reason, diag: strings.TrimSpace(firstLine(notice))}}
}

// firstLine returns the first non-blank line of s.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			return l
		}
	}
	return ""
}
