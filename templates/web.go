package templates

import (
	"encoding/json"
	"fmt"
	"time"
)

// WebIssue is an issue as its web version shows it: rendered for no one.
type WebIssue struct {
	Subject string
	HTML    []byte
	Date    time.Time // the issue's date from its front matter; may be zero
}

// NeutralEmail stands in for the reader's address in a web version
// ("you subscribed to … as your email address").
const NeutralEmail = "your email address"

// WebRecipient is the recipient a web version is rendered for: no one.
// The name and attributes are empty, so the issue's own defaults show
// ({{ .FirstName | default "there" }} reads "there"); the address is
// NeutralEmail; the unsubscribe and manage links go to manageURL, a page
// that asks who the reader is, and the web link to webURL. Nobody's name,
// address or token can appear.
func WebRecipient(webURL, manageURL string) Recipient {
	return Recipient{Email: NeutralEmail, UnsubscribeURL: manageURL, ManageURL: manageURL, WebURL: webURL}
}

// RenderWebVersion restores a campaign's stored snapshot (JSON, as
// Compiled.Snapshot made it) and renders it for WebRecipient.
func RenderWebVersion(snapshot []byte, webURL, manageURL string) (*WebIssue, error) {
	var s Snapshot
	if err := json.Unmarshal(snapshot, &s); err != nil {
		return nil, fmt.Errorf("web version: read snapshot: %w", err)
	}
	c, err := Restore(s)
	if err != nil {
		return nil, fmt.Errorf("web version: %w", err)
	}
	r, err := c.Render(WebRecipient(webURL, manageURL))
	if err != nil {
		return nil, fmt.Errorf("web version of issue %s: %w", s.ID, err)
	}
	return &WebIssue{Subject: r.Subject, HTML: r.HTML, Date: s.Date}, nil
}
