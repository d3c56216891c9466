// Package templates turns an issue, a Markdown file with YAML front matter,
// into the HTML and plain-text parts of a newsletter email, once per issue,
// and personalises them per recipient cheaply.
//
// # Issues
//
// An issue starts with front matter between "---" lines:
//
//	---
//	subject: "Security Chatter — December 4, 2024"   # required
//	preheader: "Shown after the subject in the inbox" # optional
//	date: 2024-12-04                                  # optional
//	from: "Briefings <briefings@example.com>"         # optional, overrides sender.from
//	layout: path/to/layout.html                       # optional, relative to the issue
//	id: security-chatter-2024-12-04                   # optional, defaults to the file name
//	---
//
// Unknown keys are an error. The body is GitHub-flavoured Markdown (tables,
// autolinks, strikethrough, task lists) with typographic quotes and dashes;
// raw HTML is allowed. A leading "# Title" becomes the layout's .Title, a
// paragraph in emphasis right after it is styled as the byline, and
// paragraphs starting with "Source:" are styled as source lines.
//
// # Placeholders
//
// The body, subject and preheader may use these recipient placeholders:
//
//	{{ .Name }}  {{ .FirstName }}  {{ .Email }}  {{ .Attr "company" }}
//	{{ .UnsubscribeURL }}  {{ .WebURL }}
//	{{ .FirstName | default "there" }}   fallback for an empty value
//
// Any other field is an error that names the placeholder and its line.
// Compiled.Attrs lists the attributes an issue prints and whether each has
// a fallback; CheckAttrs compares them with what a list's subscribers have,
// so a misspelt attribute is caught before it goes out empty.
// if/else/range work in the body too, at the cost of the fast render path.
//
// # Layouts
//
// A layout is an html/template file executed once per issue with:
//
//	.Content        template.HTML  the issue body as HTML
//	.Subject        string         the subject (personalised per recipient)
//	.Preheader      string         the preheader (personalised per recipient)
//	.Title          string         the body's leading "# " heading, else the subject
//	.Date           string         the date as "December 4, 2024", or ""
//	.Time           time.Time      the date, for other formats
//	.PostalAddress  string         Config.PostalAddress
//	.PostalLines    []string       the postal address split into lines
//	.ListName       string         Config.ListName
//	.FromName       string         Config.FromName, else the From display name
//	.WebVersion     bool           Config.WebVersion
//	.ID             string         the issue id
//
// and may print the recipient placeholders above, but only in plain
// {{ }} actions: they cannot steer if/range/with, because the layout runs
// once per issue. A layout must contain <a href="{{ .UnsubscribeURL }}">
// and print the postal address. LAYOUT.md has the full contract and the
// embedded default layout (layouts/default.html) is a working example.
//
// # Pipeline
//
// Compile parses and checks the issue, converts the Markdown with goldmark,
// executes the layout, inlines the CSS with go-premailer and builds the text
// part from the Markdown syntax tree. Template actions would not survive
// goldmark and premailer, so they are swapped for inert sentinels first and
// swapped back afterwards (sentinel.go). The result is a per-recipient
// html/template (and a text/template). Render then fills one recipient in:
// simple placeholders are written straight into a reused buffer, escaped as
// html/template escapes them in that context (program.go, escape.go); other
// templates run through html/template.
//
// Compiled.Snapshot and Restore persist a compiled issue, so a campaign can
// resume with exactly what it started with. Preview serves an issue to its
// editor and follows edits.
//
// This package imports no other Dispatch package and knows nothing of SMTP,
// SQL or configuration files; it must not import database/sql or go-mail.
package templates
