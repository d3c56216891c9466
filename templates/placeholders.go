package templates

import (
	"html/template"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"
)

// recipientFields are the placeholders that differ per recipient. They are
// filled in by Render, after inlining.
var recipientFields = map[string]bool{
	"Name": true, "FirstName": true, "Email": true, "Attr": true,
	"UnsubscribeURL": true, "WebURL": true, "ManageURL": true,
}

// issueFields are the values a layout sees that are the same for every
// recipient. They are filled in once, by Compile (see layoutData).
var issueFields = map[string]bool{
	"Content": true, "Subject": true, "Preheader": true, "Title": true,
	"Date": true, "Time": true, "PostalAddress": true, "PostalLines": true,
	"ListName": true, "FromName": true, "WebVersion": true, "ID": true,
}

// funcs are the template functions of every issue and layout template.
func funcs() template.FuncMap {
	return template.FuncMap{"default": defaultValue}
}

// fieldRef is one use of a field of the template's data.
type fieldRef struct {
	name string
	node parse.Node
}

// fieldRefs lists the fields of the root data that node uses. Fields used
// where the dot is not the root (inside range and with) are skipped: they
// are checked when the template is executed during Compile.
func fieldRefs(node parse.Node) []fieldRef {
	var refs []fieldRef
	var walk func(n parse.Node, root bool)
	walkList := func(l *parse.ListNode, root bool) {
		if l == nil {
			return
		}
		for _, c := range l.Nodes {
			walk(c, root)
		}
	}
	walk = func(n parse.Node, root bool) {
		switch n := n.(type) {
		case *parse.ListNode:
			walkList(n, root)
		case *parse.ActionNode:
			walk(n.Pipe, root)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c, root)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a, root)
			}
		case *parse.FieldNode:
			if root {
				refs = append(refs, fieldRef{n.Ident[0], n})
			}
		case *parse.VariableNode:
			if len(n.Ident) > 1 && n.Ident[0] == "$" {
				refs = append(refs, fieldRef{n.Ident[1], n})
			}
		case *parse.ChainNode:
			walk(n.Node, root)
		case *parse.IfNode:
			walk(n.Pipe, root)
			walkList(n.List, root)
			walkList(n.ElseList, root)
		case *parse.RangeNode:
			walk(n.Pipe, root)
			walkList(n.List, false)
			walkList(n.ElseList, root)
		case *parse.WithNode:
			walk(n.Pipe, root)
			walkList(n.List, false)
			walkList(n.ElseList, root)
		case *parse.TemplateNode:
			walk(n.Pipe, root)
		}
	}
	walk(node, true)
	return refs
}

var locationRE = regexp.MustCompile(`:(\d+):\d+$`)

// nodeLine returns the line of n as the parser reports it.
func nodeLine(t *parse.Tree, n parse.Node) int {
	loc, _ := t.ErrorContext(n)
	if m := locationRE.FindStringSubmatch(loc); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line
	}
	return 0
}

// checkFields reports every field reference in t that is not in allowed.
func checkFields(cs *checks, file string, t *parse.Tree, allowed map[string]bool, what string) {
	for _, ref := range fieldRefs(t.Root) {
		if allowed[ref.name] {
			continue
		}
		msg := "unknown placeholder ." + ref.name
		if s := suggest(ref.name, allowed); s != "" {
			msg += " (did you mean ." + s + "?)"
		}
		cs.errorf(file, nodeLine(t, ref.node), "%s; %s can use %s", msg, what, fieldList(allowed))
	}
}

func fieldList(allowed map[string]bool) string {
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, "."+n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// suggest returns the allowed name closest to name, if it is a plausible typo.
func suggest(name string, allowed map[string]bool) string {
	best, bestD := "", 3
	for a := range allowed {
		d := editDistance(strings.ToLower(name), strings.ToLower(a))
		if d < bestD || d == bestD && a < best {
			best, bestD = a, d
		}
	}
	if bestD > 2 {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours cost 1, so
// "Titel" is one edit from "Title".
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// usesAny reports whether any ref names a field in set.
func usesAny(refs []fieldRef, set map[string]bool) bool {
	for _, r := range refs {
		if set[r.name] {
			return true
		}
	}
	return false
}

// parseChecked parses src as a text template named file whose first line is
// line firstLine of the file, and reports parse errors and placeholders
// outside allowed. It returns nil when src does not parse.
func parseChecked(cs *checks, file string, firstLine int, src string, allowed map[string]bool, what string) *parse.Tree {
	if firstLine < 1 {
		firstLine = 1
	}
	// Leading newlines make the parser's line numbers file line numbers.
	padded := strings.Repeat("\n", firstLine-1) + src
	trees, err := parse.Parse(file, padded, "", "", funcs(), builtinFuncs)
	if err != nil {
		*cs = append(*cs, templateCheck(file, err))
		return nil
	}
	t := trees[file]
	for name, other := range trees {
		if name != file {
			cs.errorf(file, nodeLine(other, other.Root), "%s cannot define templates ({{define %q}})", what, name)
		}
	}
	if t == nil || t.Root == nil {
		return nil
	}
	checkFields(cs, file, t, allowed, what)
	checkAttrCalls(cs, file, t)
	return t
}

// checkAttrCalls reports .Attr used other than as {{ .Attr "name" }}, which
// would otherwise only fail when the compiled template first runs, far from
// the line that caused it.
func checkAttrCalls(cs *checks, file string, t *parse.Tree) {
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for i, a := range n.Args {
				f, ok := a.(*parse.FieldNode)
				if !ok || len(f.Ident) != 1 || f.Ident[0] != "Attr" {
					walk(a)
					continue
				}
				named := i == 0 && len(n.Args) == 2
				if named {
					_, named = n.Args[1].(*parse.StringNode)
				}
				if !named {
					cs.errorf(file, nodeLine(t, n), "%s: .Attr takes one quoted attribute name, as in {{ .Attr \"company\" }}", n)
				}
				break
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	walk(t.Root)
}

// builtinFuncs names text/template's predefined functions so the parser
// accepts them; only the names matter to parse.Parse.
var builtinFuncs = map[string]any{
	"and": true, "call": true, "html": true, "index": true, "slice": true, "js": true,
	"len": true, "not": true, "or": true, "print": true, "printf": true, "println": true,
	"urlquery": true, "eq": true, "ge": true, "gt": true, "le": true, "lt": true, "ne": true,
}
