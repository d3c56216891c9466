package templates

import (
	"strings"
	"text/template/parse"
)

// A program is a compiled template flattened into literal chunks and value
// slots, so rendering for a recipient is a loop of appends into one buffer
// instead of a reflective template execution. It is built from the parse
// tree html/template leaves after escaping, so literals are byte for byte
// what html/template prints and each slot knows its escaper.
type program struct {
	chunks []chunk
	lits   int // total literal bytes, to size output buffers
}

type fieldID uint8

const (
	fieldNone fieldID = iota // literal chunk
	fieldName
	fieldFirstName
	fieldEmail
	fieldUnsubscribeURL
	fieldWebURL
	fieldAttr
	fieldClickToken
	fieldManageURL
)

var fieldIDs = map[string]fieldID{
	"Name": fieldName, "FirstName": fieldFirstName, "Email": fieldEmail,
	"UnsubscribeURL": fieldUnsubscribeURL, "WebURL": fieldWebURL, "Attr": fieldAttr,
	"ClickToken": fieldClickToken,
	"ManageURL":  fieldManageURL,
}

type chunk struct {
	lit    string
	field  fieldID
	key    string // attribute name for fieldAttr
	def    string // value of a default "…" in the pipeline
	hasDef bool
	esc    escaper
	// cond, with condKey for fieldAttr, is the field of the
	// {{ if .F }} the chunk stands in: it prints only when that field
	// is not empty. fieldNone: always.
	cond    fieldID
	condKey string
}

// fieldValue returns the recipient's value of a field.
func fieldValue(r *Recipient, f fieldID, key string) string {
	switch f {
	case fieldName:
		return r.Name
	case fieldFirstName:
		return r.FirstName()
	case fieldEmail:
		return r.Email
	case fieldUnsubscribeURL:
		return r.UnsubscribeURL
	case fieldWebURL:
		return r.WebURL
	case fieldManageURL:
		return r.ManageURL
	case fieldAttr:
		return r.Attr(key)
	case fieldClickToken:
		return r.ClickToken
	}
	return ""
}

// value returns the recipient's value for a slot chunk.
func (ch *chunk) value(r *Recipient) string {
	v := fieldValue(r, ch.field, ch.key)
	if v == "" && ch.hasDef {
		v = ch.def
	}
	return v
}

// appendTo appends the program's output for r to dst.
func (p *program) appendTo(dst []byte, r *Recipient) []byte {
	for i := range p.chunks {
		ch := &p.chunks[i]
		if ch.cond != fieldNone && fieldValue(r, ch.cond, ch.condKey) == "" {
			continue
		}
		if ch.field == fieldNone {
			dst = append(dst, ch.lit...)
			continue
		}
		dst = appendEscaped(dst, ch.value(r), ch.esc)
	}
	return dst
}

// buildProgram flattens an (escaped, for HTML) template tree. It reports
// false when the tree holds anything beyond text, simple placeholders and,
// in text, {{ if .F }} around them (else, range, variables, other
// functions), which then run through the template package instead.
func buildProgram(root *parse.ListNode, html bool) (*program, bool) {
	p := &program{}
	if root == nil {
		return p, true
	}
	if !p.add(root.Nodes, html, chunk{}) {
		return nil, false
	}
	return p, true
}

// add appends the chunks of nodes, which stand in the {{ if }} of the
// field cond (fieldNone: in none).
func (p *program) add(nodes []parse.Node, html bool, cond chunk) bool {
	addLit := func(s string) {
		if s == "" {
			return
		}
		p.lits += len(s)
		if n := len(p.chunks); n > 0 && p.chunks[n-1].field == fieldNone &&
			p.chunks[n-1].cond == cond.field && p.chunks[n-1].condKey == cond.key {
			p.chunks[n-1].lit += s
			return
		}
		p.chunks = append(p.chunks, chunk{lit: s, cond: cond.field, condKey: cond.key})
	}
	for _, n := range nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			addLit(string(n.Text))
		case *parse.ActionNode:
			if s, ok := rawAction(n, html); ok {
				addLit(s)
				continue
			}
			ch, constant, ok := actionChunk(n, html)
			if !ok {
				return false
			}
			if constant {
				addLit(string(appendEscaped(nil, ch.lit, ch.esc)))
				continue
			}
			ch.cond, ch.condKey = cond.field, cond.key
			p.chunks = append(p.chunks, ch)
		case *parse.IfNode:
			// In text only (html/template's escaping inside an if is left
			// to it), one level, no else, a bare field: the text part's
			// {{ if .ManageURL }}.
			var c chunk
			pipe := n.Pipe
			if html || cond.field != fieldNone || n.ElseList != nil || len(pipe.Decl) > 0 || pipe.IsAssign ||
				len(pipe.Cmds) != 1 || !fieldChunk(&c, pipe.Cmds[0].Args) {
				return false
			}
			if !p.add(n.List.Nodes, html, c) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// actionChunk recognises the pipelines of the fast path:
//
//	.F   .Attr "k"   .F | default "d"   default "d" .F   "literal"
//
// each followed, in HTML, by html/template's escapers. A "literal" action
// (from neutralize) is returned as constant.
func actionChunk(n *parse.ActionNode, html bool) (ch chunk, constant, ok bool) {
	if len(n.Pipe.Decl) > 0 || n.Pipe.IsAssign {
		return chunk{}, false, false
	}
	cmds := n.Pipe.Cmds
	var escs []string
	for len(cmds) > 0 {
		last := cmds[len(cmds)-1]
		id, isID := last.Args[0].(*parse.IdentifierNode)
		if !isID || len(last.Args) != 1 || !strings.HasPrefix(id.Ident, "_html_template_") {
			break
		}
		escs = append([]string{id.Ident}, escs...)
		cmds = cmds[:len(cmds)-1]
	}
	if html {
		e, known := escaperChains[strings.Join(escs, " ")]
		if !known {
			return chunk{}, false, false
		}
		ch.esc = e
	} else if len(escs) > 0 {
		return chunk{}, false, false
	}
	switch len(cmds) {
	case 1:
		args := cmds[0].Args
		if s, isStr := args[0].(*parse.StringNode); isStr && len(args) == 1 {
			ch.lit = s.Text
			return ch, true, true
		}
		if id, isID := args[0].(*parse.IdentifierNode); isID && id.Ident == "default" && len(args) == 3 {
			def, isStr := args[1].(*parse.StringNode)
			if !isStr || !fieldChunk(&ch, args[2:]) {
				return chunk{}, false, false
			}
			ch.def, ch.hasDef = def.Text, true
			return ch, false, true
		}
		return ch, false, fieldChunk(&ch, args)
	case 2:
		if !fieldChunk(&ch, cmds[0].Args) {
			return chunk{}, false, false
		}
		args := cmds[1].Args
		id, isID := args[0].(*parse.IdentifierNode)
		if !isID || id.Ident != "default" || len(args) != 2 {
			return chunk{}, false, false
		}
		def, isStr := args[1].(*parse.StringNode)
		if !isStr {
			return chunk{}, false, false
		}
		ch.def, ch.hasDef = def.Text, true
		return ch, false, true
	}
	return chunk{}, false, false
}

// fieldChunk fills ch from a command's arguments: .F, $.F or .Attr "k".
func fieldChunk(ch *chunk, args []parse.Node) bool {
	var name string
	switch f := args[0].(type) {
	case *parse.FieldNode:
		if len(f.Ident) != 1 {
			return false
		}
		name = f.Ident[0]
	case *parse.VariableNode:
		if len(f.Ident) != 2 || f.Ident[0] != "$" {
			return false
		}
		name = f.Ident[1]
	default:
		return false
	}
	id, known := fieldIDs[name]
	if !known {
		return false
	}
	if id == fieldAttr {
		if len(args) != 2 {
			return false
		}
		key, isStr := args[1].(*parse.StringNode)
		if !isStr {
			return false
		}
		ch.key = key.Text
	} else if len(args) != 1 {
		return false
	}
	ch.field = id
	return true
}

// rawAction recognises {{ dispatchRawHTML "…" }} in an escaped HTML tree
// (a conditional comment from the layout) and returns the HTML it prints.
func rawAction(n *parse.ActionNode, html bool) (string, bool) {
	cmds := n.Pipe.Cmds
	if !html || len(n.Pipe.Decl) > 0 || len(cmds) != 2 || len(cmds[0].Args) != 2 || len(cmds[1].Args) != 1 {
		return "", false
	}
	fn, isID := cmds[0].Args[0].(*parse.IdentifierNode)
	s, isStr := cmds[0].Args[1].(*parse.StringNode)
	esc, escID := cmds[1].Args[0].(*parse.IdentifierNode)
	if !isID || fn.Ident != rawFunc || !isStr || !escID || esc.Ident != "_html_template_htmlescaper" {
		return "", false
	}
	return s.Text, true
}
