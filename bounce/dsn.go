package bounce

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// dsnRecipient holds the per-recipient fields of an RFC 3464 report.
type dsnRecipient struct {
	final, original string // addresses
	action          string // lowercase
	status          string
	diagType        string // "smtp", "x-postfix", "x-unix", ...
	diag            string
	remoteMTA       string
	category        string // X-PowerMTA-BounceCategory
}

func (r *dsnRecipient) address() string {
	// Original-Recipient is what the sender put in RCPT TO, before any
	// aliasing on the receiving side, so it is the address the sender knows.
	if r.original != "" && strings.Contains(r.original, "@") {
		return r.original
	}
	return r.final
}

func (r *dsnRecipient) empty() bool {
	return r.final == "" && r.original == ""
}

// parseDSN reads the field groups of a delivery-status body. It is lenient:
// groups without blank lines between them are split where a recipient field
// repeats, and fields outside any recipient group are ignored.
func parseDSN(b []byte) []dsnRecipient {
	var out []dsnRecipient
	var cur dsnRecipient
	push := func() {
		if !cur.empty() {
			out = append(out, cur)
		}
		cur = dsnRecipient{}
	}
	forEachField(b, func(key, val string) {
		if key == "" {
			push()
			return
		}
		switch key {
		case "final-recipient":
			if cur.final != "" {
				push()
			}
			cur.final = dsnAddress(val)
		case "original-recipient":
			if cur.original != "" {
				push()
			}
			cur.original = dsnAddress(val)
		case "action":
			cur.action = normAction(val)
		case "status":
			cur.status = findStatus(val)
		case "remote-mta":
			cur.remoteMTA = afterType(val)
		case "x-powermta-bouncecategory":
			cur.category = lowerASCII(strings.TrimSpace(val))
		case "diagnostic-code":
			typ, text := splitTyped(val)
			cur.diagType, cur.diag = lowerASCII(typ), text
		}
	})
	push()
	return out
}

// forEachField calls fn for each "Key: value" field (key lowercased,
// continuation lines joined) and with an empty key at each blank line.
func forEachField(b []byte, fn func(key, val string)) {
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" {
			fn(key, strings.TrimSpace(val.String()))
		}
		key = ""
		val.Reset()
	}
	for pos := 0; pos < len(b); {
		end := nextLine(b, pos)
		line := trimEOL(b[pos:end])
		pos = end
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			fn("", "")
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key != "" {
				val.WriteByte(' ')
				val.Write(bytes.TrimSpace(line))
			}
			continue
		}
		flush()
		k, v, ok := splitField(line)
		if !ok {
			continue
		}
		key = lowerASCII(k)
		val.Write(v)
	}
	flush()
}

// splitTyped splits "smtp; 550 5.1.1 text" into its type and text.
func splitTyped(v string) (string, string) {
	i := strings.IndexByte(v, ';')
	if i < 0 || i > 20 || strings.ContainsAny(v[:i], " \t") && !strings.HasPrefix(strings.TrimSpace(v[:i]), "X-") {
		return "", strings.TrimSpace(v)
	}
	return strings.TrimSpace(v[:i]), strings.TrimSpace(v[i+1:])
}

func afterType(v string) string {
	_, t := splitTyped(v)
	return t
}

// dsnAddress extracts the address of "rfc822; <user@example.org>" or of the
// RFC 6533 "utf-8; ..." form.
func dsnAddress(v string) string {
	typ, a := splitTyped(v)
	if strings.EqualFold(typ, "utf-8") || strings.Contains(a, `\x{`) {
		a = decodeEmbeddedUnicode(a)
	}
	if fa := firstAddress(a); fa != "" {
		return fa
	}
	return strings.Trim(a, "<> \t")
}

// decodeEmbeddedUnicode decodes RFC 6533 "\x{HHHH}" escapes.
func decodeEmbeddedUnicode(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, `\x{`)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		n, err := strconv.ParseUint(s[i+3:i+j], 16, 32)
		if err == nil && utf8.ValidRune(rune(n)) {
			b.WriteRune(rune(n))
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// cutComment removes a trailing "(comment)".
func cutComment(v string) string {
	if i := strings.IndexByte(v, '('); i >= 0 {
		return v[:i]
	}
	return v
}

// looksLikeDSNText reports whether a text part carries RFC 3464 recipient
// fields although it is not labelled message/delivery-status.
func looksLikeDSNText(s string) bool {
	return hasFieldLine(s, "ecipient:", "final-recipient:", "original-recipient:") &&
		(hasFieldLine(s, "ction:", "action:") || hasFieldLine(s, "tatus:", "status:"))
}

// hasFieldLine reports whether a line of s starts with one of the field
// names (case-insensitive). tail is a case-stable suffix of all the names,
// found first with a plain search so long texts are not lowercased.
func hasFieldLine(s, tail string, names ...string) bool {
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], tail)
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		ls := strings.LastIndexByte(s[:i], '\n') + 1
		line := s[ls : i+len(tail)]
		for _, n := range names {
			if equalFoldASCII(line, n) {
				return true
			}
		}
	}
	return false
}

// normAction lowercases an Action value and folds the non-standard
// "deliverable" (Postfix address verification) into "delivered".
func normAction(v string) string {
	a := lowerASCII(strings.TrimSpace(cutComment(v)))
	switch a {
	case "deliverable":
		return "delivered"
	case "expired", "undeliverable", "failure", "error":
		return "failed"
	}
	return a
}

// powerMTACategories maps PowerMTA's bounce categories, which it derives
// from the full SMTP dialogue, to reasons.
var powerMTACategories = map[string]Reason{
	"bad-mailbox":         ReasonUserUnknown,
	"bad-domain":          ReasonHostUnknown,
	"inactive-mailbox":    ReasonSuspend,
	"quota-issues":        ReasonMailboxFull,
	"message-expired":     ReasonExpired,
	"no-answer-from-host": ReasonNetworkError,
	"bad-connection":      ReasonNetworkError,
	"routing-errors":      ReasonSystemError,
	"protocol-errors":     ReasonSystemError,
	"policy-related":      ReasonPolicyViolation,
	"content-related":     ReasonContentError,
	"spam-related":        ReasonSpamDetected,
	"virus-related":       ReasonVirusDetected,
	"relaying-issues":     ReasonNoRelaying,
	"invalid-sender":      ReasonRejected,
	"message-too-large":   ReasonMesgTooBig,
}
