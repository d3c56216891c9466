package templates

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"golang.org/x/net/html"
)

// textWidth is the column the plain-text part is wrapped at; RFC 5322
// recommends lines of at most 78 characters, and 72 leaves room for quoting.
const textWidth = 72

// measureFunc returns the display width of a word.
type measureFunc func(string) int

// textRenderer renders a Markdown document as plain text: headings
// underlined, paragraphs wrapped, links as "text <url>".
type textRenderer struct {
	src     []byte
	measure measureFunc
}

func renderText(doc ast.Node, src []byte, width int, measure measureFunc) string {
	tr := &textRenderer{src: src, measure: measure}
	return strings.Join(tr.blocks(doc, width), "\n")
}

// blocks renders the block children of parent, separated by blank lines.
func (tr *textRenderer) blocks(parent ast.Node, width int) []string {
	var out []string
	for c := parent.FirstChild(); c != nil; c = c.NextSibling() {
		lines := tr.block(c, width)
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

func (tr *textRenderer) block(n ast.Node, width int) []string {
	src := tr.src
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return wrap(inlineLinks(n, src), width, tr.measure)
	case *ast.Heading:
		t := strings.TrimSpace(inlineLinks(n, src))
		if n.Level == 1 {
			t = strings.ToUpper(t)
		}
		lines := wrap(t, width, tr.measure)
		if n.Level > 2 {
			return lines
		}
		rule := "-"
		if n.Level == 1 {
			rule = "="
		}
		longest := 0
		for _, l := range lines {
			longest = max(longest, tr.measure(l))
		}
		return append(lines, strings.Repeat(rule, longest))
	case *ast.ThematicBreak:
		return []string{"* * *"}
	case *ast.List:
		return tr.list(n, width)
	case *ast.Blockquote:
		inner := tr.blocks(n, width-2)
		for i, l := range inner {
			if l == "" {
				inner[i] = ">"
			} else {
				inner[i] = "> " + l
			}
		}
		return inner
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var lines []string
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			lines = append(lines, "    "+strings.TrimRight(string(seg.Value(src)), "\n"))
		}
		return lines
	case *ast.HTMLBlock:
		var raw bytes.Buffer
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			raw.Write(seg.Value(src))
		}
		return wrap(htmlText(raw.Bytes()), width, tr.measure)
	case *east.Table:
		return textTable(n, src)
	}
	return tr.blocks(n, width)
}

func inlineLinks(n ast.Node, src []byte) string {
	var b strings.Builder
	writeInline(&b, n, src, true)
	return b.String()
}

func (tr *textRenderer) list(l *ast.List, width int) []string {
	var out []string
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		indent := strings.Repeat(" ", len(marker))
		var inner []string
		if l.IsTight {
			for c := item.FirstChild(); c != nil; c = c.NextSibling() {
				inner = append(inner, tr.block(c, width-len(marker))...)
			}
		} else {
			inner = tr.blocks(item, width-len(marker))
		}
		if !l.IsTight && len(out) > 0 {
			out = append(out, "")
		}
		for i, line := range inner {
			switch {
			case i == 0:
				out = append(out, marker+line)
			case line == "":
				out = append(out, "")
			default:
				out = append(out, indent+line)
			}
		}
	}
	return out
}

func textTable(t *east.Table, src []byte) []string {
	var out []string
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, strings.TrimSpace(inlineLinks(cell, src)))
		}
		line := strings.Join(cells, " | ")
		out = append(out, line)
		if _, ok := row.(*east.TableHeader); ok {
			out = append(out, strings.Repeat("-", utf8.RuneCountInString(line)))
		}
	}
	return out
}

// htmlText returns the text content of an HTML fragment.
func htmlText(raw []byte) string {
	z := html.NewTokenizer(bytes.NewReader(raw))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
}

// wrap fills s into lines of at most width columns as measured by measure,
// breaking at spaces. A word longer than width (a URL) gets a line of its
// own. Newlines in s are kept as hard breaks.
func wrap(s string, width int, measure measureFunc) []string {
	var lines []string
	for _, hard := range strings.Split(s, "\n") {
		var line strings.Builder
		n := 0
		// Only ASCII blanks separate words: a no-break space must not.
		for _, w := range strings.FieldsFunc(hard, func(r rune) bool { return r == ' ' || r == '\t' }) {
			wn := measure(w)
			if n > 0 && n+1+wn > width {
				lines = append(lines, line.String())
				line.Reset()
				n = 0
			}
			if n > 0 {
				line.WriteByte(' ')
				n++
			}
			line.WriteString(w)
			n += wn
		}
		lines = append(lines, line.String())
	}
	return lines
}
