package web

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// embedForm is the snippet `dispatch lists form` prints: plain HTML with
// no script or style sheet, to paste into the sender's own site. It posts
// to the hosted form's URL with the same fields: the honeypot (hidden by
// an inline style, since the page's style sheet is not ours), and a stamp
// signed when the snippet was made, which is old enough for the minimum
// fill time from then on.
var embedForm = template.Must(template.New("embed").Parse(`<form method="post" action="{{.Action}}" accept-charset="utf-8">
  <input type="hidden" name="stamp" value="{{.Stamp}}">
  <input type="hidden" name="via" value="embed">
  <p>
    <label for="dispatch-email">Email address</label>
    <input id="dispatch-email" name="email" type="email" autocomplete="email" required maxlength="254">
  </p>
  <p>
    <label for="dispatch-name">Name (optional)</label>
    <input id="dispatch-name" name="name" type="text" autocomplete="name" maxlength="200">
  </p>
  <p aria-hidden="true" style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden">
    <label for="dispatch-website">Leave this empty</label>
    <input id="dispatch-website" name="website" type="text" tabindex="-1" autocomplete="off">
  </p>
  <p>{{.Consent}}</p>
  <p><button type="submit">Subscribe to {{.List}}</button></p>
</form>
`))

// EmbedForm returns an HTML form for list l, to embed on another site,
// that posts to baseURL's /subscribe/{list}. consent is the wording shown
// (SubscribeConfig.Consent).
func EmbedForm(baseURL string, tokens *subscribers.Tokens, l *subscribers.List, consent string, now time.Time) (string, error) {
	var b bytes.Buffer
	err := embedForm.Execute(&b, map[string]string{
		"Action":  strings.TrimRight(baseURL, "/") + "/subscribe/" + url.PathEscape(l.Name),
		"Stamp":   tokens.FormStamp(l.ID, now),
		"Consent": consent,
		"List":    l.DisplayName(),
	})
	return b.String(), err
}
