package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"
)

// issueCacheSize bounds the web versions kept rendered. A page is the size
// of the email (tens of KB), so this is a few MB at most.
const issueCacheSize = 256

// issuePage is a rendered web version, ready to serve.
type issuePage struct {
	keptBody
	csp     []string // the page's own Content-Security-Policy
	subject string
}

// issueKey names one rendering: the same campaign renders differently
// under another list name (its links) or visibility (the key in its own
// link).
type issueKey struct {
	campaignID int64
	list       string
	public     bool
}

// issueCache keeps rendered web versions. A campaign's snapshot never
// changes once stored, so an entry never goes stale; when the cache is
// full it is emptied, which costs one rendering per issue afterwards.
type issueCache struct {
	max int
	mu  sync.RWMutex
	m   map[issueKey]*issuePage
}

func newIssueCache(max int) *issueCache {
	return &issueCache{max: max, m: map[issueKey]*issuePage{}}
}

func (c *issueCache) get(k issueKey) *issuePage {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *issueCache) put(k issueKey, p *issuePage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = p
}

// newIssuePage prepares a rendered email for serving as a page: its
// ETag, and a CSP that allows exactly the styles it carries.
func newIssuePage(body []byte, subject string, sentAt time.Time) *issuePage {
	return &issuePage{
		keptBody: newKeptBody("text/html; charset=utf-8", body, sentAt),
		csp:      []string{emailCSP(body)},
		subject:  subject,
	}
}

// emailCSP is the Content-Security-Policy of a web version. An email
// styles itself with <style> blocks and, after inlining, style=""
// attributes; the policy allows those exact styles by hash ('unsafe-hashes'
// is what lets a hash cover an attribute) and nothing else: no script, no
// fonts, no frames, and no images but data: ones, so a web version makes
// no request to a third party. Remote images in an issue show their alt
// text.
func emailCSP(body []byte) string {
	seen := map[string]bool{}
	add := func(s string) {
		sum := sha256.Sum256([]byte(s))
		seen["'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'"] = true
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	inStyle := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			hashes := make([]string, 0, len(seen))
			for h := range seen {
				hashes = append(hashes, h)
			}
			slices.Sort(hashes)
			style := "'none'"
			if len(hashes) > 0 {
				style = "'unsafe-hashes' " + strings.Join(hashes, " ")
			}
			return "default-src 'none'; style-src " + style +
				"; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			inStyle = string(name) == "style"
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "style" {
					add(string(v))
				}
			}
		case html.TextToken:
			if inStyle {
				add(string(z.Text()))
			}
		case html.EndTagToken:
			inStyle = false
		}
	}
}
