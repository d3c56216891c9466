package templates

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Template actions cannot go through goldmark or go-premailer unharmed:
// goldmark percent-encodes them in link destinations and its typographer
// curls the quotes in {{ default "there" }}, premailer escapes quotes inside
// them and foster-parents them out of tables. So before either runs, every
// action is swapped for an inert alphanumeric sentinel (PREFIX + n + "X"),
// and after inlining the sentinels are swapped back for the actions.

// slotOrigin says where a protected action came from.
type slotOrigin int

const (
	originBody slotOrigin = iota
	originLayout
	originSubject
	originPreheader
	originFooter
	originRaw // a conditional comment from the layout
)

type slot struct {
	action string // template source of the action, with delimiters
	origin slotOrigin
	line   int // line in the origin's file, for "lost placeholder" checks
}

// slotTable numbers the protected actions of one compile.
type slotTable struct {
	prefix string
	slots  []slot
}

// newSlotTable picks a sentinel prefix that occurs in none of the inputs, so
// restoring can never touch the editor's own text.
func newSlotTable(inputs ...string) *slotTable {
	prefix := "DISPATCHSLOT"
	for {
		clash := false
		for _, in := range inputs {
			if strings.Contains(in, prefix) {
				clash = true
				break
			}
		}
		if !clash {
			return &slotTable{prefix: prefix}
		}
		prefix += "Q"
	}
}

// add registers action and returns its sentinel.
func (t *slotTable) add(action string, origin slotOrigin, line int) string {
	t.slots = append(t.slots, slot{action: action, origin: origin, line: line})
	return t.sentinel(len(t.slots) - 1)
}

func (t *slotTable) sentinel(i int) string {
	return t.prefix + strconv.Itoa(i) + "X"
}

// protect replaces every action in src by a sentinel. firstLine is the file
// line src starts on. src must already have parsed as a template.
func (t *slotTable) protect(src string, origin slotOrigin, firstLine int) string {
	spans := actionSpans(src)
	if len(spans) == 0 {
		return src
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(src[last:sp[0]])
		line := firstLine + strings.Count(src[:sp[0]], "\n")
		b.WriteString(t.add(src[sp[0]:sp[1]], origin, line))
		last = sp[1]
	}
	b.WriteString(src[last:])
	return b.String()
}

// restore swaps sentinels in s back for their actions. seen counts how
// often each slot was found; it may be nil.
func (t *slotTable) restore(s string, seen []int) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(s[i:], t.prefix)
		if j < 0 {
			break
		}
		start := i + j
		p := start + len(t.prefix)
		q := p
		for q < len(s) && s[q] >= '0' && s[q] <= '9' {
			q++
		}
		n, err := strconv.Atoi(s[p:q])
		if q == p || q >= len(s) || s[q] != 'X' || err != nil || n >= len(t.slots) {
			i = p
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(t.slots[n].action)
		if seen != nil {
			seen[n]++
		}
		last = q + 1
		i = last
	}
	b.WriteString(s[last:])
	return b.String()
}

// placeholderWidth is the width the text part reserves for a printed
// placeholder when wrapping: a typical first name or company.
const placeholderWidth = 10

// measure returns the display width of s with each sentinel counted as the
// width its action will likely print: nothing for control actions
// ({{ if }}, {{ end }}, comments), placeholderWidth for the rest. Lines of
// the text part then wrap as they will read, not as the sentinels are long.
func (t *slotTable) measure(s string) int {
	n := 0
	for {
		i := strings.Index(s, t.prefix)
		if i < 0 {
			return n + utf8.RuneCountInString(s)
		}
		n += utf8.RuneCountInString(s[:i])
		p := i + len(t.prefix)
		q := p
		for q < len(s) && s[q] >= '0' && s[q] <= '9' {
			q++
		}
		k, err := strconv.Atoi(s[p:q])
		if err != nil || q >= len(s) || s[q] != 'X' || k >= len(t.slots) {
			n += utf8.RuneCountInString(s[i:p])
			s = s[p:]
			continue
		}
		if !isControlAction(t.slots[k].action) {
			n += placeholderWidth
		}
		s = s[q+1:]
	}
}

// isControlAction reports whether a {{ }} action prints nothing itself.
func isControlAction(action string) bool {
	a := strings.TrimPrefix(action, "{{")
	a = strings.TrimPrefix(a, "-")
	a = strings.TrimLeft(a, " \t\n\r")
	if strings.HasPrefix(a, "/*") {
		return true
	}
	for _, kw := range []string{"if", "else", "end", "range", "with", "break", "continue", "define", "block", "template"} {
		if strings.HasPrefix(a, kw) && (len(a) == len(kw) || !isIdentChar(a[len(kw)])) {
			return true
		}
	}
	return false
}

func isIdentChar(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// actionSpans returns the byte ranges of the {{ }} actions in src, using
// the lexing rules of text/template for comments and quoted strings.
func actionSpans(src string) [][2]int {
	var spans [][2]int
	for i := 0; ; {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			return spans
		}
		start := i + j
		end := actionEnd(src, start+2)
		if end < 0 {
			return spans
		}
		spans = append(spans, [2]int{start, end})
		i = end
	}
}

// actionEnd returns the offset just past the "}}" closing the action whose
// body starts at p, or -1.
func actionEnd(src string, p int) int {
	q := p
	if strings.HasPrefix(src[q:], "- ") || strings.HasPrefix(src[q:], "-\t") || strings.HasPrefix(src[q:], "-\n") {
		q += 2
	}
	for q < len(src) && (src[q] == ' ' || src[q] == '\t' || src[q] == '\n' || src[q] == '\r') {
		q++
	}
	if strings.HasPrefix(src[q:], "/*") {
		k := strings.Index(src[q+2:], "*/")
		if k < 0 {
			return -1
		}
		q += 2 + k + 2
		k = strings.Index(src[q:], "}}")
		if k < 0 {
			return -1
		}
		return q + k + 2
	}
	for q < len(src) {
		switch src[q] {
		case '"', '\'':
			quote := src[q]
			q++
			for q < len(src) && src[q] != quote && src[q] != '\n' {
				if src[q] == '\\' {
					q++
				}
				q++
			}
			q++
		case '`':
			k := strings.IndexByte(src[q+1:], '`')
			if k < 0 {
				return -1
			}
			q += k + 2
		case '}':
			if strings.HasPrefix(src[q:], "}}") {
				return q + 2
			}
			q++
		default:
			q++
		}
	}
	return -1
}

// neutralize makes literal "{{" in text that did not come from an action
// (a list name, a postal address, text from the layout's data) harmless
// before the document is parsed as the per-recipient template.
func neutralize(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return strings.ReplaceAll(s, "{{", "{{`{{`}}")
}
