package templates

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// Link is one content link of a compiled issue, as TrackLinks found it.
type Link struct {
	N       int    // 1-based, in the order the links appear in the HTML
	URL     string // where it points, HTML entities decoded
	Section string // the text of the last heading before it; "" for none
}

// LinkTracking says how TrackLinks rewrites an issue's links.
type LinkTracking struct {
	// URL returns the tracked address of link n; nil leaves the links as
	// they are (a pixel only).
	URL func(n int) string
	// PerRecipient appends "/" and the recipient's ClickToken to every
	// tracked link; otherwise every recipient gets the same links.
	PerRecipient bool
	// PixelURL, when set, adds a 1×1 image at the end of the HTML body.
	PixelURL string
}

var (
	// headingOrAnchor finds, in document order, headings (with their
	// inner HTML) and opening <a> tags of the compiled HTML, which
	// premailer has re-serialised with double-quoted attributes.
	headingOrAnchor = regexp.MustCompile(`(?is)<h[1-6]\b[^>]*>(.*?)</h[1-6]\s*>|<a\b[^>]*>`)
	hrefAttr        = regexp.MustCompile(`(?is)(\shref\s*=\s*)("([^"]*)"|'([^']*)')`)
	tags            = regexp.MustCompile(`(?s)<[^>]*>`)
	// textURL finds the links of the text part, which textPart writes as
	// <https://…>.
	textURL = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// TrackLinks returns a copy of c whose content links (http and https
// hrefs written in the issue or layout: not the unsubscribe, web-version
// or other per-recipient links, nor mailto: or tel:) point at lt.URL(n),
// and the links it replaced. The text part gets the same tracked links:
// its k-th occurrence of a URL becomes the k-th HTML link to that URL. It
// runs once per campaign; the copy renders as fast as c.
func (c *Compiled) TrackLinks(lt LinkTracking) (*Compiled, []Link, error) {
	htmlSrc, textSrc := c.html.src, c.text.src
	var links []Link
	if lt.URL != nil {
		htmlSrc, links = trackHTML(htmlSrc, lt)
		textSrc, links = trackText(textSrc, links, lt)
	}
	if lt.PixelURL != "" {
		htmlSrc = addPixel(htmlSrc, lt.PixelURL)
	}
	t := &Compiled{
		ID:        c.ID,
		Path:      c.Path,
		Subject:   c.Subject,
		From:      c.From,
		Preheader: c.Preheader,
		Title:     c.Title,
		Date:      c.Date,
		Warnings:  append([]Check(nil), c.Warnings...),

		TrackClicks: c.TrackClicks,
	}
	if err := t.build(htmlSrc, textSrc, c.subject.src); err != nil {
		return nil, nil, fmt.Errorf("track links of %s: %w", c.ID, err)
	}
	return t, links, nil
}

func trackHTML(src string, lt LinkTracking) (string, []Link) {
	var (
		b       strings.Builder
		links   []Link
		section string
		last    int
	)
	for _, m := range headingOrAnchor.FindAllStringSubmatchIndex(src, -1) {
		if m[2] >= 0 { // a heading
			section = headingText(src[m[2]:m[3]])
			continue
		}
		tag := src[m[0]:m[1]]
		h := hrefAttr.FindStringSubmatchIndex(tag)
		if h == nil {
			continue
		}
		vs, ve := h[6], h[7]
		if vs < 0 {
			vs, ve = h[8], h[9]
		}
		target := html.UnescapeString(tag[vs:ve])
		if !trackable(tag[vs:ve], target) {
			continue
		}
		n := len(links) + 1
		links = append(links, Link{N: n, URL: target, Section: section})
		b.WriteString(src[last : m[0]+vs])
		b.WriteString(html.EscapeString(lt.URL(n)))
		if lt.PerRecipient {
			b.WriteString("/{{.ClickToken}}")
		}
		last = m[0] + ve
	}
	b.WriteString(src[last:])
	return b.String(), links
}

func trackText(src string, links []Link, lt LinkTracking) (string, []Link) {
	seen := map[string]int{}
	var b strings.Builder
	last := 0
	for _, m := range textURL.FindAllStringIndex(src, -1) {
		target := src[m[0]:m[1]]
		if !trackable(target, target) {
			continue
		}
		k := seen[target]
		seen[target]++
		n := nthLink(links, target, k)
		if n == 0 {
			n = len(links) + 1
			links = append(links, Link{N: n, URL: target})
		}
		b.WriteString(src[last:m[0]])
		b.WriteString(lt.URL(n))
		if lt.PerRecipient {
			b.WriteString("/{{.ClickToken}}")
		}
		last = m[1]
	}
	b.WriteString(src[last:])
	return b.String(), links
}

// nthLink is the number of the k-th (0-based) link to target, else of the
// first, else 0.
func nthLink(links []Link, target string, k int) int {
	first := 0
	for _, l := range links {
		if l.URL != target {
			continue
		}
		if first == 0 {
			first = l.N
		}
		if k == 0 {
			return l.N
		}
		k--
	}
	return first
}

// trackable reports whether an href is a content link: an absolute http or
// https URL written out in full. A value holding a template action is a
// per-recipient link (unsubscribe, web version, manage) and stays.
func trackable(raw, target string) bool {
	if strings.Contains(raw, "{{") {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(target))
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// headingText is a heading's inner HTML as plain text on one line.
func headingText(inner string) string {
	t := html.UnescapeString(tags.ReplaceAllString(inner, " "))
	return strings.Join(strings.Fields(t), " ")
}

// addPixel puts the open pixel just before </body>, or at the end.
func addPixel(src, pixel string) string {
	img := `<img src="` + html.EscapeString(pixel) + `" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`
	if i := strings.LastIndex(strings.ToLower(src), "</body>"); i >= 0 {
		return src[:i] + img + src[i:]
	}
	return src + img
}
