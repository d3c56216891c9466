package bounce

import "strings"

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// statusAt returns the length of an RFC 3463 status code ("5.1.1",
// "4.7.650") starting at s[i], or 0. The class digit must be 2, 4 or 5 and
// the code must stand alone, so IP addresses and version numbers do not match.
func statusAt(s string, i int) int {
	if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
		return 0
	}
	if i+4 >= len(s) || s[i] != '2' && s[i] != '4' && s[i] != '5' || s[i+1] != '.' {
		return 0
	}
	j := i + 2
	n := 0
	for j < len(s) && isDigit(s[j]) && n < 4 {
		j++
		n++
	}
	if n == 0 || n > 3 || j >= len(s) || s[j] != '.' {
		return 0
	}
	j++
	n = 0
	for j < len(s) && isDigit(s[j]) && n < 4 {
		j++
		n++
	}
	if n == 0 || n > 3 {
		return 0
	}
	if j < len(s) && (isDigit(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
		return 0
	}
	return j - i
}

// findStatus returns the first RFC 3463 status code in s, or "".
func findStatus(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '2' && s[i] != '4' && s[i] != '5' {
			continue
		}
		if n := statusAt(s, i); n > 0 {
			return s[i : i+n]
		}
	}
	return ""
}

// findErrorStatus is findStatus for 4.x.x and 5.x.x codes only.
func findErrorStatus(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '4' && s[i] != '5' {
			continue
		}
		if n := statusAt(s, i); n > 0 {
			return s[i : i+n]
		}
	}
	return ""
}

// replyAt reports whether s[i:i+3] is an SMTP reply code standing as a word,
// and whether an enhanced status code follows it ("550 5.1.1", "550-5.1.1").
func replyAt(s string, i int) (ok, withStatus bool) {
	if i+3 > len(s) || !isDigit(s[i+1]) || !isDigit(s[i+2]) || s[i+1] > '5' {
		return false, false
	}
	if i > 0 {
		switch p := s[i-1]; {
		case isDigit(p), p >= 'a' && p <= 'z', p >= 'A' && p <= 'Z', p == '.', p == '-', p == '_', p == '/', p == '+', p == '=', p == ',':
			return false, false
		}
	}
	j := i + 3
	if j == len(s) {
		return true, false
	}
	switch s[j] {
	case ' ', '-', '\t', '\n', '\r', ')', ']', '"', '\'', ':', ',':
	default:
		return false, false
	}
	if s[j] == ' ' || s[j] == '-' {
		k := j + 1
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) && statusAt(s, k) > 0 {
			return true, true
		}
		if s[j] == ' ' && k < len(s) && isDigit(s[k]) {
			// "550 250 ..." or a number in prose: not a reply.
			return false, false
		}
		if isUnitWord(s[k:]) {
			return false, false
		}
	}
	return true, false
}

// isUnitWord reports a word that makes the number before it a quantity
// ("552 bytes", "450 days") rather than a reply code.
func isUnitWord(s string) bool {
	end := 0
	for end < len(s) && end < 12 && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z' || s[end] == '%') {
		end++
	}
	switch lowerASCII(s[:end]) {
	case "byte", "bytes", "kb", "mb", "gb", "kib", "mib", "k", "m", "day", "days", "hour", "hours", "minute",
		"minutes", "min", "mins", "second", "seconds", "sec", "secs", "messages", "recipients", "times", "%":
		return true
	}
	return false
}

// findReply returns the SMTP reply code in s: the first 4xx/5xx code that
// is followed by an enhanced status code, else the first 4xx/5xx code
// standing as a word, else a 2xx code when no error code is present.
func findReply(s string) string {
	first, firstOK := "", ""
	for i := 0; i+3 <= len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' {
			continue
		}
		ok, withStatus := replyAt(s, i)
		if !ok {
			continue
		}
		if c == '2' {
			if firstOK == "" {
				firstOK = s[i : i+3]
			}
			continue
		}
		if withStatus {
			return s[i : i+3]
		}
		if first == "" {
			first = s[i : i+3]
		}
	}
	if first != "" {
		return first
	}
	return firstOK
}

// smtpCommand names the SMTP command a failure text says was rejected, or
// "". text keeps its case: command names are written in capitals, which
// tells them from the same words in prose.
func smtpCommand(text string) string {
	// Phrases are matched with line breaks folded: notices wrap them.
	lower := lowerASCII(oneLine(text))
	if i := transcriptError(lower); i >= 0 {
		// A Sendmail-style transcript: the command before the first error reply.
		if j := strings.LastIndex(lower[:i], ">>> "); j >= 0 {
			if c := commandWord(lower[j+4:]); c != "" {
				return c
			}
		}
	}
	// The first phrase that names a command (one pass over the text).
	best := ""
	commandIdx.each(lower, func(id int32, _ int) bool {
		best = commandOf[commandIdx.pieces[id]]
		return false
	})
	if best != "" {
		return best
	}
	// A labelled field: "SMTP command: DATA", or the label on a line of
	// its own and the command on the next (m-FILTER and other gateways).
	if i := strings.Index(lower, "smtp command"); i >= 0 {
		rest := strings.TrimLeft(lower[i+len("smtp command"):], " :-=")
		if c := commandWord(rest); c != "" && rest[0] != '.' {
			return c
		}
	}
	// Bare command names; when several appear the later stage of the
	// dialogue is the one that failed.
	for _, c := range [...]struct{ word, cmd string }{
		{"DATA", "DATA"}, {"RCPT", "RCPT"}, {"MAIL FROM", "MAIL"}, {"MAIL F", "MAIL"},
		{"EHLO", "HELO"}, {"HELO", "HELO"}, {"STARTTLS", "STARTTLS"},
	} {
		if hasCommandWord(text, c.word) {
			return c.cmd
		}
	}
	return ""
}

// hasCommandWord reports a command name used as such, not as the label of
// a listing line ("RCPT TO: user@example.org" in a summary of the message).
func hasCommandWord(text, w string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], w)
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		end := i + len(w)
		if i > 0 && isWordByte(text[i-1]) || end < len(text) && isWordByte(text[end]) {
			continue
		}
		ls := strings.LastIndexByte(text[:i], '\n') + 1
		if strings.TrimSpace(text[ls:i]) == "" {
			continue // the line starts with the command: a listing
		}
		return true
	}
}

// transcriptError returns where the first error reply of a transcript
// ("<<< 550 ...") starts, or -1.
func transcriptError(lower string) int {
	i := strings.Index(lower, "<<< 5")
	j := strings.Index(lower, "<<< 4")
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '@' || c == '.' || c == '-' || c == '_'
}

func commandWord(s string) string {
	switch {
	case strings.HasPrefix(s, "rcpt"):
		return "RCPT"
	case strings.HasPrefix(s, "mail"):
		return "MAIL"
	case strings.HasPrefix(s, "data"), strings.HasPrefix(s, "."), strings.HasPrefix(s, "bdat"):
		return "DATA"
	case strings.HasPrefix(s, "ehlo"), strings.HasPrefix(s, "helo"):
		return "HELO"
	case strings.HasPrefix(s, "starttls"):
		return "STARTTLS"
	}
	return ""
}

// commandIdx and commandOf find commandPhrases in a text.
var commandIdx, commandOf = func() (*phraseIndex, map[string]string) {
	ps := make([]string, len(commandPhrases))
	of := make(map[string]string, len(commandPhrases))
	for i, p := range commandPhrases {
		ps[i] = p.phrase
		of[p.phrase] = p.cmd
	}
	return newPhraseIndex(map[string][]string{"command": ps}), of
}()

var commandPhrases = []struct{ phrase, cmd string }{
	{"in reply to rcpt to command", "RCPT"},
	{"after rcpt to", "RCPT"},
	{"our rcpt to", "RCPT"},
	{"does not like recipient", "RCPT"},
	{"rcpt to response", "RCPT"},
	{"[rcpt_to]", "RCPT"},
	{"smtp:rcpt", "RCPT"},
	{"has rejected address", "RCPT"},
	{"in reply to mail from command", "MAIL"},
	{"after mail from", "MAIL"},
	{"our mail from", "MAIL"},
	{"does not like sender", "MAIL"},
	{"[mail_from]", "MAIL"},
	{"in reply to end of data command", "DATA"},
	{"in reply to data command", "DATA"},
	{"after end of data", "DATA"},
	{"after data", "DATA"},
	{"final data", "DATA"},
	{"in reply to ehlo command", "HELO"},
	{"in reply to helo command", "HELO"},
	{"after ehlo", "HELO"},
	{"after helo", "HELO"},
	{"after initial connection", "CONN"},
	{"in reply to starttls command", "STARTTLS"},
}

// lowerASCII lowercases A-Z and leaves every other byte alone, so offsets
// in the result are offsets in s (strings.ToLower may change the length of
// text that is not valid UTF-8) and non-ASCII text is never rewritten.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}
