package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"text/template/parse"
	"time"
)

//go:embed layouts/default.html
var layoutFS embed.FS

// DefaultLayoutName names the embedded layout in checks.
const DefaultLayoutName = "default.html (embedded)"

// DefaultLayout returns the source of the embedded default layout, a
// starting point for custom layouts.
func DefaultLayout() []byte {
	b, err := layoutFS.ReadFile("layouts/default.html")
	if err != nil {
		panic(err) // embedded at build time; cannot be missing
	}
	return b
}

// layoutData is what a layout is executed with, once per issue. Its
// exported fields are the layout contract documented in doc.go and LAYOUT.md.
// Recipient placeholders ({{ .UnsubscribeURL }} …) are not fields here: they
// are cut out of the layout before it runs and put back after inlining.
type layoutData struct {
	Content       template.HTML
	Subject       string
	Preheader     string
	Title         string
	Date          string
	Time          time.Time
	PostalAddress string
	PostalLines   []string
	ListName      string
	FromName      string
	WebVersion    bool
	ID            string
}

// layout is a parsed layout whose recipient actions have been replaced by
// sentinels.
type layout struct {
	file  string
	tmpl  *template.Template
	unsub []string // sentinels of actions that print .UnsubscribeURL
}

// layoutSource returns the layout for an issue: the issue's own layout:
// (relative to the issue file), else cfg.Layout, else the embedded one.
func layoutSource(is *Issue, cfg Config) (file string, src []byte, err error) {
	path := cfg.Layout
	if is.Layout != "" {
		path = is.Layout
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(is.Path), path)
		}
	}
	if path == "" {
		return DefaultLayoutName, DefaultLayout(), nil
	}
	src, err = os.ReadFile(path)
	if err != nil {
		return path, nil, fmt.Errorf("read layout: %w", err)
	}
	return path, src, nil
}

// prepareLayout parses a layout, checks its placeholders and replaces each
// action that prints recipient data by a sentinel from slots.
func prepareLayout(cs *checks, file, src string, slots *slotTable) *layout {
	tmpl, err := template.New(file).Funcs(funcs()).Funcs(layoutFuncs(slots)).Option("missingkey=error").Parse(src)
	if err != nil {
		*cs = append(*cs, templateCheck(file, err))
		return nil
	}
	allowed := map[string]bool{}
	for k := range issueFields {
		allowed[k] = true
	}
	for k := range recipientFields {
		allowed[k] = true
	}
	l := &layout{file: file, tmpl: tmpl}
	postal := false
	for _, t := range tmpl.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		checkFields(cs, file, t.Tree, allowed, "a layout")
		checkAttrCalls(cs, file, t.Tree)
		for _, r := range fieldRefs(t.Tree.Root) {
			if r.name == "PostalAddress" || r.name == "PostalLines" {
				postal = true
			}
		}
		l.cutRecipientActions(cs, t.Tree, t.Tree.Root, slots)
	}
	checkHTMLImages(cs, file, 1, []byte(src))
	if !postal {
		cs.errorf(file, 0, "no postal address: the layout must show {{ .PostalAddress }} (or range over .PostalLines); anti-spam law requires it")
	}
	return l
}

// cutRecipientActions replaces, in list and below, every action that prints
// recipient data by a text node holding a sentinel. Recipient data cannot
// steer if/range/with or be stored in variables: the layout runs once per
// issue, not per recipient.
func (l *layout) cutRecipientActions(cs *checks, t *parse.Tree, list *parse.ListNode, slots *slotTable) {
	if list == nil {
		return
	}
	for i, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			refs := fieldRefs(n)
			if !usesAny(refs, recipientFields) {
				continue
			}
			line := nodeLine(t, n)
			switch {
			case usesAny(refs, issueFields):
				cs.errorf(l.file, line, "%s mixes recipient and issue placeholders; print them in separate {{ }} actions", n)
			case len(n.Pipe.Decl) > 0:
				cs.errorf(l.file, line, "%s stores a recipient placeholder in a variable; print it directly", n)
			default:
				action := n.String()
				s := slots.add(action, originLayout, line)
				if strings.Contains(action, "UnsubscribeURL") {
					l.unsub = append(l.unsub, s)
				}
				list.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(s)}
			}
		case *parse.IfNode:
			l.checkControl(cs, t, n, n.Pipe, "if")
			l.cutRecipientActions(cs, t, n.List, slots)
			l.cutRecipientActions(cs, t, n.ElseList, slots)
		case *parse.RangeNode:
			l.checkControl(cs, t, n, n.Pipe, "range")
			l.cutRecipientActions(cs, t, n.List, slots)
			l.cutRecipientActions(cs, t, n.ElseList, slots)
		case *parse.WithNode:
			l.checkControl(cs, t, n, n.Pipe, "with")
			l.cutRecipientActions(cs, t, n.List, slots)
			l.cutRecipientActions(cs, t, n.ElseList, slots)
		case *parse.TemplateNode:
			l.checkControl(cs, t, n, n.Pipe, "template")
		}
	}
}

func (l *layout) checkControl(cs *checks, t *parse.Tree, n parse.Node, pipe *parse.PipeNode, what string) {
	if pipe == nil {
		return
	}
	for _, r := range fieldRefs(pipe) {
		if recipientFields[r.name] {
			cs.errorf(l.file, nodeLine(t, n), "{{%s}} uses recipient placeholder .%s; a layout runs once per issue, so recipient data can only be printed ({{ .%s }}), not tested", what, r.name, r.name)
		}
	}
}

// execute runs the layout with the issue's data.
func (l *layout) execute(cs *checks, data layoutData) (string, bool) {
	var buf bytes.Buffer
	if err := l.tmpl.Execute(&buf, data); err != nil {
		*cs = append(*cs, templateCheck(l.file, err))
		return "", false
	}
	return buf.String(), true
}

// postalLines splits a postal address on newlines, dropping blank lines.
func postalLines(addr string) []string {
	var lines []string
	for _, l := range strings.Split(addr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
