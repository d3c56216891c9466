package templates

import (
	"strings"
	"text/template/parse"
)

// SubjectDisplay is a subject template as an admin reads it in lists and
// page titles: its text, with each placeholder shown as the field it
// fills in ("Briefing for [FirstName]", "[company] weekly") instead of
// template syntax. A subject that does not parse is returned as it is.
func SubjectDisplay(src string) string {
	if !strings.Contains(src, "{{") {
		return src
	}
	t := parseSource("subject", src)
	if t == nil || t.Root == nil {
		return src
	}
	var b strings.Builder
	for _, n := range t.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.ActionNode:
			b.WriteString("[" + placeholderName(n) + "]")
		default: // if, range, with: their text depends on the recipient
			b.WriteString("[…]")
		}
	}
	return b.String()
}

// placeholderName names what an action prints: the attribute of
// {{ .Attr "company" }}, else the first field it reads.
func placeholderName(n *parse.ActionNode) string {
	refs := fieldRefs(n)
	if len(refs) == 0 {
		return "…"
	}
	if refs[0].name == "Attr" {
		for _, cmd := range n.Pipe.Cmds {
			if len(cmd.Args) > 1 {
				if s, ok := cmd.Args[1].(*parse.StringNode); ok {
					return s.Text
				}
			}
		}
	}
	return refs[0].name
}
