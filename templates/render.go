package templates

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
)

// Rendered is an issue personalised for one recipient.
type Rendered struct {
	Subject string
	HTML    []byte
	Text    []byte
}

// part is one per-recipient template of a compiled issue: its source, the
// template package's view of it, and, when it only prints simple
// placeholders, a program that renders it without the template package.
type part struct {
	src   string
	html  *htmltemplate.Template // set for the HTML part
	text  *texttemplate.Template // set for the text part and subject
	prog  *program               // nil: execute the template
	fixed string                 // output when prog has no slots (subject)
	isFix bool
}

// Render personalises the issue for r. It is safe for concurrent use.
func (c *Compiled) Render(r Recipient) (*Rendered, error) {
	out := &Rendered{
		HTML: make([]byte, 0, c.html.sizeHint()),
		Text: make([]byte, 0, c.text.sizeHint()),
	}
	if err := c.RenderTo(out, r); err != nil {
		return nil, err
	}
	return out, nil
}

// RenderTo is Render into out, reusing the capacity of out.HTML and
// out.Text; a sender that keeps one Rendered per worker renders without
// allocating, apart from a personalised subject.
func (c *Compiled) RenderTo(out *Rendered, r Recipient) error {
	var err error
	if out.HTML, err = c.html.appendTo(out.HTML[:0], &r); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	if out.Text, err = c.text.appendTo(out.Text[:0], &r); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	if out.Subject, err = c.subject.line(&r); err != nil {
		return fmt.Errorf("render subject: %w", err)
	}
	return nil
}

// FastPath reports whether every part renders without executing a template
// (see program.go); templates with if/range or other functions do not.
func (c *Compiled) FastPath() bool {
	return c.html.prog != nil && c.text.prog != nil && c.subject.prog != nil
}

func (p *part) sizeHint() int {
	if p.prog != nil {
		return p.prog.lits + 64*len(p.prog.chunks)/2 + 64
	}
	return len(p.src) + 512
}

func (p *part) appendTo(dst []byte, r *Recipient) ([]byte, error) {
	if p.prog != nil {
		return p.prog.appendTo(dst, r), nil
	}
	buf := bytes.NewBuffer(dst)
	var err error
	if p.html != nil {
		err = p.html.Execute(buf, *r)
	} else {
		err = p.text.Execute(buf, *r)
	}
	return buf.Bytes(), err
}

// line renders a header value: line breaks from recipient data are turned
// into spaces so they cannot start a new header.
func (p *part) line(r *Recipient) (string, error) {
	if p.isFix {
		return p.fixed, nil
	}
	var stack [256]byte
	b, err := p.appendTo(stack[:0], r)
	if err != nil {
		return "", err
	}
	if bytes.ContainsAny(b, "\r\n") {
		return strings.Join(strings.Fields(string(b)), " "), nil
	}
	return string(b), nil
}

// build parses the per-recipient sources and prepares fast programs; it is
// shared by Compile and Restore.
func (c *Compiled) build(htmlSrc, textSrc, subjectSrc string) error {
	h, err := htmltemplate.New("html").Funcs(compiledFuncs()).Option("missingkey=error").Parse(htmlSrc)
	if err != nil {
		return fmt.Errorf("parse compiled html: %w", err)
	}
	// Executing once makes html/template escape the tree, so its escapers
	// are in place for buildProgram, and surfaces context errors now.
	if err := h.Execute(io.Discard, SampleRecipient()); err != nil {
		return fmt.Errorf("compiled html: %w", err)
	}
	c.html = part{src: htmlSrc, html: h}
	if c.text, err = buildTextPart(textSrc, "text"); err != nil {
		return err
	}
	if c.subject, err = buildTextPart(subjectSrc, "subject"); err != nil {
		return err
	}
	if prog, ok := buildProgram(h.Tree.Root, true); ok {
		c.html.prog = prog
	}
	c.verifyPrograms()
	c.attrs = compiledAttrs(subjectSrc, htmlSrc, textSrc)
	return nil
}

func buildTextPart(src, name string) (part, error) {
	t, err := texttemplate.New(name).Funcs(texttemplate.FuncMap(compiledFuncs())).Option("missingkey=error").Parse(src)
	if err != nil {
		return part{}, fmt.Errorf("parse compiled %s: %w", name, err)
	}
	if err := t.Execute(io.Discard, SampleRecipient()); err != nil {
		return part{}, fmt.Errorf("compiled %s: %w", name, err)
	}
	p := part{src: src, text: t}
	if t.Tree != nil {
		if prog, ok := buildProgram(t.Tree.Root, false); ok {
			p.prog = prog
			if len(prog.chunks) <= 1 && (len(prog.chunks) == 0 || prog.chunks[0].field == fieldNone && prog.chunks[0].cond == fieldNone) {
				p.fixed = string(prog.appendTo(nil, &Recipient{}))
				p.isFix = true
			}
		}
	} else {
		p.fixed, p.isFix = "", true
	}
	return p, nil
}

// verifyPrograms renders a few recipients, hostile ones included, through
// both the programs and the template packages, and drops any program that
// disagrees. It is a once-per-issue guard; escape_test.go is the real proof.
func (c *Compiled) verifyPrograms() {
	for _, p := range []*part{&c.html, &c.text, &c.subject} {
		if p.prog == nil {
			continue
		}
		for _, r := range verifyRecipients() {
			fast := p.prog.appendTo(nil, &r)
			slow := *p
			slow.prog = nil
			want, err := slow.appendTo(nil, &r)
			if err != nil || !bytes.Equal(fast, want) {
				p.prog, p.isFix = nil, false
				break
			}
		}
	}
}

func verifyRecipients() []Recipient {
	return []Recipient{
		SampleRecipient(),
		{},
		{
			Email:          `"o'hara"+tag@example.com`,
			Name:           `<script>alert("x")</script> & 'Bob' +1`,
			Attributes:     map[string]any{"company": `<b>A&B</b>`, "tier": 3.5},
			UnsubscribeURL: "javascript:alert(1)",
			WebURL:         "https://example.com/a b/ü?c=d&e=\"f\"#g",
			ClickToken:     "a/b?c=<d>",
			ManageURL:      "https://example.com/m?x=<y>&z='w'",
		},
	}
}
