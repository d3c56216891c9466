package templates

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// body is an issue body converted once: HTML for the layout's .Content, the
// plain-text alternative, and the title lifted from its leading "# " heading.
// All three still hold the body's sentinels.
type body struct {
	html  string
	text  string
	title string
}

// typography uses the characters themselves rather than goldmark's default
// entities (&ldquo;), so the plain-text part needs no entity decoding.
var typography = map[extension.TypographicPunctuation]string{
	extension.LeftSingleQuote:  "‘",
	extension.RightSingleQuote: "’",
	extension.LeftDoubleQuote:  "“",
	extension.RightDoubleQuote: "”",
	extension.EnDash:           "–",
	extension.EmDash:           "—",
	extension.Ellipsis:         "…",
	extension.LeftAngleQuote:   "«",
	extension.RightAngleQuote:  "»",
	extension.Apostrophe:       "’",
}

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.GFM, // tables, autolinks (linkify), strikethrough, task lists
			extension.NewTypographer(extension.WithTypographicSubstitutions(typography)),
		),
		// Issues are written by the newsletter's editors, who may need raw
		// HTML (a button, a table of figures); recipients never supply Markdown.
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
}

// convertBody turns the protected Markdown body into HTML and text. file and
// firstLine locate the body for image checks.
func convertBody(cs *checks, file string, firstLine int, src []byte, slots *slotTable) (body, error) {
	md := newMarkdown()
	doc := md.Parser().Parse(text.NewReader(src))
	title := liftTitle(doc, src)
	markBlocks(doc, src)
	checkImages(cs, file, firstLine, doc, src)

	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return body{}, fmt.Errorf("render markdown: %w", err)
	}
	return body{html: buf.String(), text: renderText(doc, src, textWidth, slots.measure), title: title}, nil
}

// liftTitle removes a leading level-1 heading from doc and returns its text;
// layouts show it in their header. A paragraph that directly follows it and
// is all emphasis ("*By the briefing desk*") is marked as the byline.
func liftTitle(doc ast.Node, src []byte) string {
	h, ok := doc.FirstChild().(*ast.Heading)
	if !ok || h.Level != 1 {
		return ""
	}
	title := strings.TrimSpace(inlineText(h, src))
	next := h.NextSibling()
	doc.RemoveChild(doc, h)
	if p, ok := next.(*ast.Paragraph); ok && p.ChildCount() == 1 {
		if _, ok := p.FirstChild().(*ast.Emphasis); ok {
			p.SetAttributeString("class", []byte("byline"))
		}
	}
	return title
}

// markBlocks classes paragraphs that start with "Source:" or "Sources:" as
// "source", so layouts can set them apart from the story text.
func markBlocks(doc ast.Node, src []byte) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		p, ok := n.(*ast.Paragraph)
		if !ok {
			return ast.WalkContinue, nil
		}
		if t, ok := p.FirstChild().(*ast.Text); ok {
			v := t.Segment.Value(src)
			if bytes.HasPrefix(v, []byte("Source:")) || bytes.HasPrefix(v, []byte("Sources:")) {
				p.SetAttributeString("class", []byte("source"))
			}
		}
		return ast.WalkSkipChildren, nil
	})
}

// checkImages warns about images without alt text: screen readers, and
// clients that block images, have nothing else to show.
func checkImages(cs *checks, file string, firstLine int, doc ast.Node, src []byte) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			if strings.TrimSpace(inlineText(n, src)) == "" {
				cs.warnf(file, firstLine-1+blockLine(n, src), "image %s has no alt text: write ![what it shows](%s)", n.Destination, n.Destination)
			}
		case *ast.HTMLBlock:
			var raw bytes.Buffer
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				raw.Write(seg.Value(src))
			}
			checkHTMLImages(cs, file, firstLine-1+blockLine(n, src), raw.Bytes())
		case *ast.RawHTML:
			var raw bytes.Buffer
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				raw.Write(seg.Value(src))
			}
			checkHTMLImages(cs, file, firstLine-1+blockLine(n, src), raw.Bytes())
		}
		return ast.WalkContinue, nil
	})
}

// blockLine returns the 1-based line in src of the block holding n.
func blockLine(n ast.Node, src []byte) int {
	for ; n != nil; n = n.Parent() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return lineOf(src, n.Lines().At(0).Start)
		}
		if r, ok := n.(*ast.RawHTML); ok && r.Segments.Len() > 0 {
			return lineOf(src, r.Segments.At(0).Start)
		}
	}
	return 1
}

// inlineText returns the plain text of n's inline children, with links as
// their text only.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	writeInline(&b, n, src, false)
	return b.String()
}

// writeInline writes the text of n's children to b. With links set, link
// targets follow their text as "text <url>".
func writeInline(b *strings.Builder, n ast.Node, src []byte, links bool) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(src)
			if !c.IsRaw() {
				v = unescapeMarkdown(v)
			}
			b.Write(v)
			if c.HardLineBreak() {
				b.WriteByte('\n')
			} else if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			if c.IsCode() || c.IsRaw() {
				b.Write(c.Value)
			} else {
				b.Write(unescapeMarkdown(c.Value))
			}
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if s, ok := t.(*ast.Text); ok {
					b.Write(s.Segment.Value(src))
				} else if s, ok := t.(*ast.String); ok {
					b.Write(s.Value)
				}
			}
		case *ast.Link:
			var label strings.Builder
			writeInline(&label, c, src, links)
			b.WriteString(label.String())
			dest := string(unescapeMarkdown(c.Destination))
			if links && dest != "" && dest != label.String() && dest != "mailto:"+label.String() {
				b.WriteString(" <" + dest + ">")
			}
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.Image:
			if alt := inlineText(c, src); links && alt != "" {
				b.WriteString("[" + alt + "]")
			}
		case *ast.RawHTML:
			// Inline tags carry no text of their own.
		case *east.TaskCheckBox:
			if c.IsChecked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
		default:
			writeInline(b, c, src, links)
		}
	}
}

// unescapeMarkdown resolves backslash escapes and character references the
// way goldmark's HTML writer does, for text that is not HTML.
func unescapeMarkdown(v []byte) []byte {
	return util.UnescapePunctuations(util.ResolveEntityNames(util.ResolveNumericReferences(v)))
}
