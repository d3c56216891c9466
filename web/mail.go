package web

import _ "embed"

//go:embed mail/confirm.md
var confirmMail []byte

// DefaultConfirmMail is the issue (Markdown with front matter) the
// confirmation of a subscribe form is rendered from, with the sender's
// layout, unless web.subscribe.template names another. Its placeholders
// are the recipient's ({{ .Email }}, {{ .Name }}) and three attributes:
// {{ .Attr "confirm_url" }}, {{ .Attr "list" }} (the list's title) and
// {{ .Attr "confirm_days" }} (how long the link works).
func DefaultConfirmMail() []byte { return append([]byte(nil), confirmMail...) }
