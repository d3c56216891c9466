package bounce

import "strings"

// A notice is the prose of a non-RFC 3464 bounce: Exim, qmail, Postfix
// without DSN, Gmail, Yahoo, Lotus Notes and the rest. They differ in
// wording but share a shape: the failed addresses are printed, each followed
// (or, with one recipient, sometimes preceded) by the remote server's reply.
// scanNotice finds the addresses and cuts the text into one block per
// address; the block yields the reply code, status and diagnostic.

// mention is one appearance of a candidate recipient in the notice.
type mention struct {
	addr string // as written
	key  string // normalised
	line int
}

// noticeLines splits text into lines without their line ends.
func noticeLines(text string) []string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, "\r")
	}
	return ls
}

// scanNotice returns one fact per failed address found in the notice.
// skip reports addresses that cannot be the failed recipient (the sender,
// the bounce address, the reporting daemon); listed ones are known failed
// recipients (from a report or header) and are kept wherever they appear.
func scanNotice(lines []string, skip func(key string) bool, listed map[string]bool) []fact {
	var ms []mention
	contacts := map[string]bool{}
	for _, l := range lines {
		if strings.Contains(l, "@") && isContactLine(lowerASCII(l)) {
			for _, a := range findAddresses(l) {
				contacts[normAddr(a.addr)] = true
			}
		}
	}
	for i, l := range lines {
		if !strings.Contains(l, "@") {
			continue
		}
		lower := lowerASCII(l)
		for _, a := range findAddresses(l) {
			key := normAddr(a.addr)
			if !listed[key] && (skip(key) || contacts[key] || isMessageIDContext(lower, a.start) ||
				isAliasContext(lower, a.start) || isSenderContext(lower, a.start)) {
				continue
			}
			ms = append(ms, mention{addr: a.addr, key: key, line: i})
		}
	}
	if len(ms) == 0 {
		return nil
	}
	// The recipients, in order of first appearance, and where each block starts.
	var order []mention
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.key] {
			seen[m.key] = true
			order = append(order, m)
		}
	}
	facts := make([]fact, 0, len(order))
	for i, m := range order {
		start, end := m.line, len(lines)
		if i+1 < len(order) {
			end = order[i+1].line
			if end <= start {
				end = start + 1
			}
		}
		if len(order) == 1 {
			start = 0
		}
		facts = append(facts, blockFact(m, lines, start, end))
	}
	return facts
}

// blockFact reads one recipient's block of lines.
func blockFact(m mention, lines []string, start, end int) fact {
	block := strings.Join(lines[start:end], "\n")
	f := fact{addr: m.addr, context: block}
	f.diag = diagnosticIn(lines, start, end, m)
	return f
}

// diagnosticIn picks the server's reply out of a block: the address's own
// line when it carries a reply code, else the first line in the block with
// one (plus the lines of the same reply), else the line that names a known
// cause, else the words around the address.
func diagnosticIn(lines []string, start, end int, m mention) string {
	if m.line >= start && m.line < end {
		if at, sure := replyStrength(lines[m.line]); sure == 2 {
			return replyFrom(lines, m.line, at, end)
		}
	}
	bareLine, bareAt := -1, 0
	for i := start; i < end; i++ {
		at, sure := replyStrength(lines[i])
		if sure == 2 {
			return replyFrom(lines, i, at, end)
		}
		if sure == 1 && bareLine < 0 {
			bareLine, bareAt = i, at
		}
	}
	if bareLine >= 0 {
		return replyFrom(lines, bareLine, bareAt, end)
	}
	around := wordsAround(lines, end, m)
	if namesCause(lowerASCII(around)) {
		return around
	}
	// The cause nearest after the address, else before it.
	from := start
	if m.line >= start && m.line < end {
		from = m.line + 1
	}
	for _, r := range [2][2]int{{from, end}, {start, from}} {
		for i := r[0]; i < r[1]; i++ {
			if i == m.line || isBoilerplate(strings.TrimSpace(lines[i])) {
				continue
			}
			if l := lowerASCII(lines[i]); strings.TrimSpace(l) != "" && namesCause(l) {
				return strings.TrimSpace(lines[i])
			}
		}
	}
	return around
}

// replyFrom joins the reply that starts at lines[i][at:] with the lines that
// continue it: indented or plain text, or "550-" lines of a multi-line reply.
func replyFrom(lines []string, i, at, end int) string {
	var b strings.Builder
	first := strings.TrimSpace(lines[i][at:])
	b.WriteString(first)
	multi := len(first) > 3 && first[3] == '-'
	for j := i + 1; j < end; j++ {
		n := strings.TrimSpace(lines[j])
		if n == "" || isBoilerplate(n) {
			break
		}
		if at, sure := replyStrength(n); at == 0 && sure == 2 {
			// A new reply starts, unless it continues a "550-" reply.
			if !multi || len(first) < 3 || !strings.HasPrefix(n, first[:3]) {
				break
			}
			multi = len(n) > 3 && n[3] == '-'
		}
		b.WriteByte(' ')
		b.WriteString(stripReplyPrefix(n))
	}
	return b.String()
}

// namesCause reports whether a line uses the wording of any known reason.
func namesCause(lower string) bool {
	if strings.TrimSpace(lower) == "" {
		return false
	}
	m := phraseIdx().scan(lower)
	if has(ruleDefinite, m) {
		return true
	}
	return firstIncluded(probeOrder, m) != "" || firstIncluded(fallbackOrder, m) != ""
}

// wordsAround returns the text on the address's line (without the address)
// and the paragraph after it, skipping a bare label such as "because:".
func wordsAround(lines []string, end int, m mention) string {
	if m.line < 0 || m.line >= len(lines) {
		return ""
	}
	var b strings.Builder
	l := lines[m.line]
	if i := strings.Index(lowerASCII(l), m.key); i >= 0 {
		before := strings.TrimSpace(strings.TrimRight(l[:i], "<\"'( \t"))
		after := strings.TrimSpace(strings.Trim(strings.TrimSpace(l[i+len(m.key):]), ">:\"'()[],;*-. \t"))
		if len(after) <= 2 {
			after = ""
		}
		rest := strings.TrimSpace(before + " " + after)
		if len(rest) > 2 && (before != "" || !isLabel(rest)) {
			b.WriteString(rest)
		}
	}
	for j := m.line + 1; j < end; j++ {
		n := strings.TrimSpace(lines[j])
		if n == "" {
			if b.Len() > 0 {
				break
			}
			continue
		}
		if isBoilerplate(n) {
			break
		}
		if b.Len() == 0 && isLabel(n) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
	}
	return b.String()
}

// isLabel reports a short line that only introduces what follows
// ("because:", "Reason:", "Technical details:").
func isLabel(s string) bool {
	return len(s) < 40 && strings.HasSuffix(s, ":")
}

// replyStart returns where an SMTP reply (code or status) starts in a line.
func replyStart(l string) int {
	at, _ := replyStrength(l)
	return at
}

// replyStrength returns where an SMTP reply starts in a line and how sure
// that is: 2 for a reply code, 1 for a bare status code (which prose also
// quotes, "see DSN 5.1.10"), 0 and -1 for none.
func replyStrength(l string) (int, int) {
	bare := -1
	for i := 0; i+3 <= len(l); i++ {
		c := l[i]
		if c != '4' && c != '5' {
			continue
		}
		if statusAt(l, i) > 0 {
			// A status right after a reply code belongs with it.
			if i >= 4 {
				if ok, _ := replyAt(l, i-4); ok {
					return i - 4, 2
				}
			}
			if bare < 0 {
				bare = i
				if p := strings.LastIndexAny(l[:i], "(#"); p >= 0 && strings.TrimSpace(l[p+1:i]) == "" || i > 0 && l[i-1] == '#' {
					// "text (#5.4.4)": the words before are the reply.
					bare = 0
				}
			}
			continue
		}
		if ok, withStatus := replyAt(l, i); ok && (withStatus || replyLooksReal(l, i)) {
			return i, 2
		}
	}
	if bare >= 0 {
		return bare, 1
	}
	return -1, 0
}

// replyLooksReal accepts a bare reply code when it opens the line or
// follows the words servers print before a reply.
func replyLooksReal(l string, i int) bool {
	before := lowerASCII(strings.TrimSpace(l[:i]))
	if before == "" || strings.HasSuffix(before, ":") || strings.HasSuffix(before, "<<<") ||
		strings.HasSuffix(before, "said") || strings.HasSuffix(before, "(") || strings.HasSuffix(before, "error") ||
		strings.HasSuffix(before, "reply") || strings.HasSuffix(before, "'") || strings.HasSuffix(before, "\"") ||
		strings.HasSuffix(before, "#") || strings.HasSuffix(before, "code") {
		rest := l[i+3:]
		return rest == "" || rest[0] == ' ' || rest[0] == '-' || rest[0] == ')' || rest[0] == '\''
	}
	return false
}

// stripReplyPrefix removes the "550-5.1.1 " that starts each line of a
// multi-line SMTP reply.
func stripReplyPrefix(l string) string {
	if len(l) > 4 && isDigit(l[0]) && isDigit(l[1]) && isDigit(l[2]) && (l[3] == '-' || l[3] == ' ') {
		r := l[4:]
		if n := statusAt(r, 0); n > 0 {
			r = strings.TrimSpace(r[n:])
		}
		return r
	}
	return l
}

// boilerplate starts lines that end a server reply in a notice.
var boilerplate = []string{
	"giving up on", "--- below", "------ this is a copy", "----- original", "the mail system",
	"please ", "for more information", "to get help", "learn more", "if you ", "reporting-mta",
	"original-recipient", "final-recipient", "action:", "diagnostic information for administrators",
	"generating server", "this is a permanent error", "this is a temporary error", "<<< ", ">>> ",
	"i'm not going to try again", "i'm sorry", "the following", "your message",
}

func isBoilerplate(l string) bool {
	lower := lowerASCII(l)
	for _, b := range boilerplate {
		if strings.HasPrefix(lower, b) {
			return true
		}
	}
	return false
}

// isContactLine reports lines that name a help address, not a recipient.
func isContactLine(lower string) bool {
	for _, w := range [...]string{"contact ", "please write to", "please send", "send mail to", "mailto:", "e-mail us", "email us", "report this", "helpdesk", "help desk"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// isAliasContext reports an address printed as the alias the failed one
// was expanded from ("(ultimately generated from ...)", Exim and Sendmail).
func isAliasContext(lower string, i int) bool {
	before := lower[:i]
	if len(before) > 40 {
		before = before[len(before)-40:]
	}
	return strings.Contains(before, "generated from") || strings.Contains(before, "expanded from") ||
		strings.Contains(before, "forwarded from") || strings.Contains(before, "generated by")
}

// isSenderContext reports an address printed as the sender: "From: x",
// "MAIL FROM:<x>", "Sender: x", "Return-Path: <x>".
func isSenderContext(lower string, i int) bool {
	before := strings.TrimRight(lower[:i], " \t<\"'")
	for _, w := range [...]string{"from:", "from", "sender:", "sender", "return-path:", "reply-to:", "envelope-from"} {
		if strings.HasSuffix(before, w) {
			return true
		}
	}
	return false
}

// isMessageIDContext reports whether the address at offset i is a
// Message-ID or queue ID printed in the notice.
func isMessageIDContext(lower string, i int) bool {
	before := lower[:i]
	if len(before) > 30 {
		before = before[len(before)-30:]
	}
	return strings.Contains(before, "message-id") || strings.Contains(before, "message id") ||
		strings.Contains(before, "msgid") || strings.Contains(before, "id=") || strings.Contains(before, "in-reply-to") ||
		strings.Contains(before, "references")
}
