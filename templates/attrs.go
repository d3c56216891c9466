package templates

import (
	"sort"
	"text/template/parse"
)

// AttrUse is a subscriber attribute an issue prints, {{ .Attr "company" }},
// summed over the subject, the body, the layout and the text part.
type AttrUse struct {
	Name string `json:"name"`
	// Fallback is true when every use has one: a default
	// ({{ .Attr "company" | default "your team" }}, or `or`), or an
	// enclosing {{ if }} or {{ with }} that tests the attribute. A
	// recipient without the attribute then still gets sensible text.
	Fallback bool `json:"fallback"`
	// File and Line locate the first use without a fallback (else the
	// first use) in the issue or its layout, when it is known: a restored
	// snapshot no longer knows its source lines.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Attrs returns the attributes the compiled issue prints, sorted by name.
func (c *Compiled) Attrs() []AttrUse {
	return append([]AttrUse(nil), c.attrs...)
}

// attrRef is one use of .Attr in a template.
type attrRef struct {
	name     string
	fallback bool
	node     parse.Node
}

// fallbackFuncs give an empty value a replacement, so an attribute passed
// to them never prints as nothing.
var fallbackFuncs = map[string]bool{"default": true, "or": true}

// attrRefs lists the uses of the recipient's .Attr in a template tree.
func attrRefs(root *parse.ListNode) []attrRef {
	w := attrWalker{}
	w.list(root, nil, true)
	return w.refs
}

type attrWalker struct {
	refs []attrRef
}

// list walks a list of nodes. guarded names the attributes an enclosing
// if/with tested; root says whether dot is still the recipient.
func (w *attrWalker) list(l *parse.ListNode, guarded map[string]bool, root bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.node(n, guarded, root)
	}
}

func (w *attrWalker) node(n parse.Node, guarded map[string]bool, root bool) {
	switch n := n.(type) {
	case *parse.ActionNode:
		w.pipe(n.Pipe, guarded, root, false)
	case *parse.IfNode:
		w.branch(&n.BranchNode, guarded, root, root)
	case *parse.WithNode:
		w.branch(&n.BranchNode, guarded, root, false)
	case *parse.RangeNode:
		w.branch(&n.BranchNode, guarded, root, false)
	case *parse.TemplateNode:
		w.pipe(n.Pipe, guarded, root, false)
	case *parse.ListNode:
		w.list(n, guarded, root)
	}
}

// branch walks if/with/range: attributes in the condition are tests (a
// missing one takes the else branch, which is what the author wrote it
// for), and the same attributes inside the then-branch are guarded.
func (w *attrWalker) branch(b *parse.BranchNode, guarded map[string]bool, root, thenRoot bool) {
	before := len(w.refs)
	w.pipe(b.Pipe, guarded, root, true)
	inner := guarded
	if len(w.refs) > before {
		inner = make(map[string]bool, len(guarded)+len(w.refs)-before)
		for k := range guarded {
			inner[k] = true
		}
		for _, r := range w.refs[before:] {
			inner[r.name] = true
		}
	}
	w.list(b.List, inner, thenRoot)
	w.list(b.ElseList, guarded, root)
}

// pipe walks a pipeline. fallback is inherited from an enclosing
// condition or fallback function.
func (w *attrWalker) pipe(p *parse.PipeNode, guarded map[string]bool, root, fallback bool) {
	if p == nil {
		return
	}
	for i, cmd := range p.Cmds {
		if name, ok := attrCall(cmd, root); ok {
			// A command's result is the last argument of the next one:
			// {{ .Attr "k" | default "x" }}.
			piped := i+1 < len(p.Cmds) && fallbackFuncs[identName(p.Cmds[i+1])]
			w.refs = append(w.refs, attrRef{name: name, fallback: fallback || piped || guarded[name], node: cmd})
			continue
		}
		inFallback := fallback || fallbackFuncs[identName(cmd)]
		for _, a := range cmd.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				w.pipe(sub, guarded, root, inFallback)
			}
		}
	}
}

// attrCall reports whether cmd is .Attr "name" (or $.Attr "name") on the
// recipient, and returns the name.
func attrCall(cmd *parse.CommandNode, root bool) (string, bool) {
	if len(cmd.Args) != 2 {
		return "", false
	}
	switch f := cmd.Args[0].(type) {
	case *parse.FieldNode:
		if !root || len(f.Ident) != 1 || f.Ident[0] != "Attr" {
			return "", false
		}
	case *parse.VariableNode:
		if len(f.Ident) != 2 || f.Ident[0] != "$" || f.Ident[1] != "Attr" {
			return "", false
		}
	default:
		return "", false
	}
	s, ok := cmd.Args[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	return s.Text, true
}

func identName(cmd *parse.CommandNode) string {
	if len(cmd.Args) == 0 {
		return ""
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		return id.Ident
	}
	return ""
}

// summarizeAttrs folds uses into one AttrUse per name, sorted by name.
func summarizeAttrs(refs []attrRef) []AttrUse {
	byName := map[string]*AttrUse{}
	for _, r := range refs {
		u := byName[r.name]
		if u == nil {
			u = &AttrUse{Name: r.name, Fallback: true}
			byName[r.name] = u
		}
		u.Fallback = u.Fallback && r.fallback
	}
	out := make([]AttrUse, 0, len(byName))
	for _, u := range byName {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// compiledAttrs finds the attributes of the per-recipient sources of a
// compiled issue, which hold every recipient action of the issue, its
// layout and the generated text part.
func compiledAttrs(srcs ...string) []AttrUse {
	var refs []attrRef
	for _, src := range srcs {
		trees, err := parse.Parse("attrs", src, "", "", compiledFuncs(), builtinFuncs)
		if err != nil {
			continue // build parsed the same source already and reported it
		}
		if t := trees["attrs"]; t != nil {
			refs = append(refs, attrRefs(t.Root)...)
		}
	}
	return summarizeAttrs(refs)
}

// sourceTree is a template of the issue or layout as the author wrote it.
type sourceTree struct {
	file string
	tree *parse.Tree
}

// parseSource parses a template for locating its actions only; errors
// were reported when it was checked.
func parseSource(file, src string) *parse.Tree {
	trees, err := parse.Parse(file, src, "", "", parseFuncs(), builtinFuncs)
	if err != nil {
		return nil
	}
	return trees[file]
}

// locateAttrs gives each attribute the file and line of its first use in
// the sources, preferring a use without a fallback: that is the one a
// recipient without the attribute sees as nothing.
func locateAttrs(uses []AttrUse, sources []sourceTree) {
	type loc struct {
		file string
		line int
	}
	first, bare := map[string]loc{}, map[string]loc{}
	for _, s := range sources {
		if s.tree == nil || s.tree.Root == nil {
			continue
		}
		for _, r := range attrRefs(s.tree.Root) {
			l := loc{s.file, nodeLine(s.tree, r.node)}
			if _, ok := first[r.name]; !ok {
				first[r.name] = l
			}
			if _, ok := bare[r.name]; !ok && !r.fallback {
				bare[r.name] = l
			}
		}
	}
	for i := range uses {
		l, ok := bare[uses[i].Name]
		if !ok {
			l = first[uses[i].Name]
		}
		uses[i].File, uses[i].Line = l.file, l.line
	}
}

// attrExample is how the checks show a use: {{ .Attr "name" }}.
func attrExample(name string) string {
	return `{{ .Attr "` + name + `" }}`
}
