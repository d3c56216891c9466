package templates

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// Outlook's Word engine needs conditional comments (<!--[if mso]>…<![endif]-->)
// for the fixed-width tables and attributes it understands, but
// html/template drops every comment in a template and go-premailer would
// parse the markup inside. So a layout asks for them through functions
// (mso, msoIf, notMso) that print a sentinel; after inlining, the sentinel
// becomes a {{ dispatchRawHTML "…" }} action in the per-recipient template,
// which prints the comment verbatim and which the fast path treats as a
// literal (see rawAction).

// rawFunc names the function of compiled templates that prints raw HTML.
// It exists only in compiled templates: issue bodies and layouts cannot
// call it.
const rawFunc = "dispatchRawHTML"

// compiledFuncs are the functions of the per-recipient templates.
func compiledFuncs() template.FuncMap {
	f := funcs()
	f[rawFunc] = func(s string) template.HTML { return template.HTML(s) }
	return f
}

// layoutFuncs are the functions only layouts have. With slots nil they
// are stand-ins for parsing.
func layoutFuncs(slots *slotTable) template.FuncMap {
	emit := func(comment string) string {
		if slots == nil {
			return ""
		}
		return slots.add("{{ "+rawFunc+" "+strconv.Quote(comment)+" }}", originRaw, 0)
	}
	return template.FuncMap{
		// mso prints html for Outlook on Windows (the Word engine) only.
		"mso": func(html string) (string, error) {
			return msoIf("mso", html, emit)
		},
		// msoIf prints html for the Outlook versions cond selects
		// ("gte mso 9", "mso | IE").
		"msoIf": func(cond, html string) (string, error) {
			return msoIf(cond, html, emit)
		},
		// notMso prints html for every client except Outlook's Word
		// engine, as a "downlevel-revealed" conditional comment.
		"notMso": func(html string) (string, error) {
			if strings.Contains(html, "-->") {
				return "", fmt.Errorf("notMso: the HTML contains \"-->\", which would end the comment early")
			}
			return emit("<!--[if !mso]><!-->" + html + "<!--<![endif]-->"), nil
		},
	}
}

func msoIf(cond, html string, emit func(string) string) (string, error) {
	if strings.TrimSpace(cond) == "" || strings.ContainsAny(cond, "[]<>") {
		return "", fmt.Errorf("msoIf: condition %q is not a conditional-comment expression such as \"gte mso 9\"", cond)
	}
	if strings.Contains(html, "-->") || strings.Contains(html, "<!--") {
		return "", fmt.Errorf("conditional comment for %q: the HTML may not contain comments itself", cond)
	}
	return emit("<!--[if " + cond + "]>" + html + "<![endif]-->"), nil
}

// parseFuncs are the functions a source may name when it is only parsed.
func parseFuncs() map[string]any {
	f := map[string]any{}
	for k, v := range funcs() {
		f[k] = v
	}
	for k, v := range layoutFuncs(nil) {
		f[k] = v
	}
	return f
}
