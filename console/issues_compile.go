package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// draft is an issue's source compiled for a list: what the editor shows
// next to the text.
type draft struct {
	Compiled *templates.Compiled // nil when the issue has errors
	Rendered *templates.Rendered // for the sample recipient
	Checks   []templates.Check
	Errors   int
	// PreviewKey names the rendered HTML in the preview cache ("" when
	// there is nothing to show).
	PreviewKey string
}

// compileIssue parses and compiles source as the issue name would be for
// list (nil: no list yet, the site's name in the footer). It never fails:
// a broken issue comes back with its checks.
func (s *Server) compileIssue(name, source string, list *subscribers.List) *draft {
	cfg := s.cfg.Issues
	cfg.ListName = s.cfg.SiteName
	if list != nil {
		cfg.ListName = list.DisplayName()
	}
	d := &draft{}
	is, err := templates.ParseIssue(name+".md", []byte(source))
	if err == nil && is.Layout != "" {
		// A layout is a file path on the server: an issue written in the
		// browser must not make the server read its files.
		err = &templates.CheckError{Checks: []templates.Check{{Severity: templates.SeverityError, File: is.Path,
			Line: layoutLine(source), Message: "layout: names a file on the server, which issues edited in the console may not use; remove it (the configured layout is used)"}}}
	}
	if err == nil {
		d.Compiled, err = templates.Compile(is, cfg)
	}
	if err == nil {
		d.Checks = d.Compiled.Warnings
		d.Rendered, err = d.Compiled.Render(templates.SampleRecipient())
	}
	var ce *templates.CheckError
	switch {
	case errors.As(err, &ce):
		d.Checks = ce.Checks
	case err != nil:
		d.Checks = append(d.Checks, templates.Check{Severity: templates.SeverityError, Message: err.Error()})
	}
	for _, c := range d.Checks {
		if c.Severity == templates.SeverityError {
			d.Errors++
		}
	}
	if d.Errors > 0 {
		d.Compiled, d.Rendered = nil, nil
	}
	if d.Rendered != nil {
		d.PreviewKey = s.previews.put(d.Rendered.HTML, s.cfg.Now())
	}
	return d
}

// layoutLine is the line of the front matter's layout key, 0 if unseen.
func layoutLine(source string) int {
	for i, line := range strings.Split(source, "\n") {
		if strings.HasPrefix(line, "layout:") {
			return i + 1
		}
	}
	return 0
}

// previewCache holds rendered previews for the sandboxed iframes that
// show them, for a while: a preview of unsaved text has no other home.
// It is bounded in entries and age.
type previewCache struct {
	mu      sync.Mutex
	entries map[string]previewEntry
}

type previewEntry struct {
	html []byte
	at   time.Time
}

const (
	previewMax = 200
	previewAge = time.Hour
)

func (c *previewCache) put(html []byte, now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]previewEntry{}
	}
	for k, e := range c.entries {
		if now.Sub(e.at) > previewAge {
			delete(c.entries, k)
		}
	}
	for len(c.entries) >= previewMax {
		oldest := ""
		for k, e := range c.entries {
			if oldest == "" || e.at.Before(c.entries[oldest].at) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[key] = previewEntry{html: html, at: now}
	return key
}

func (c *previewCache) get(key string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) > previewAge {
		return nil, false
	}
	return e.html, true
}
