package templates

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// Gmail clips messages whose HTML exceeds about 102 KB and hides the rest,
// the footer with the unsubscribe link included, behind "View entire
// message". Sizes are of the rendered HTML for the sample recipient.
const (
	clipLimit = 102 * 1024
	clipWarn  = 90 * 1024
)

// checkHTMLImages warns about <img> tags without an alt attribute in raw
// HTML that starts on line firstLine of file. alt="" is accepted: it marks
// an image as decoration on purpose.
func checkHTMLImages(cs *checks, file string, firstLine int, raw []byte) {
	z := html.NewTokenizer(bytes.NewReader(raw))
	line := firstLine
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		tokLine := line
		line += bytes.Count(z.Raw(), []byte("\n"))
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data != "img" {
			continue
		}
		hasAlt, src := false, ""
		for _, a := range tok.Attr {
			switch a.Key {
			case "alt":
				hasAlt = true
			case "src":
				src = a.Val
			}
		}
		if !hasAlt {
			cs.warnf(file, tokLine, "image %s has no alt attribute: add alt=\"what it shows\" (or alt=\"\" for decoration)", src)
		}
	}
}

// checkUnsubscribeLink reports an error unless the inlined document has an
// <a href> that contains one of the unsubscribe sentinels.
func checkUnsubscribeLink(cs *checks, layoutFile, doc string, sentinels []string) {
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data != "a" {
			continue
		}
		for _, a := range tok.Attr {
			if a.Key != "href" {
				continue
			}
			for _, s := range sentinels {
				if strings.Contains(a.Val, s) {
					return
				}
			}
		}
	}
	cs.errorf(layoutFile, 0, "no unsubscribe link: the layout (or the issue) must contain <a href=\"{{ .UnsubscribeURL }}\">")
}

// checkSize reports HTML that Gmail would clip.
func checkSize(cs *checks, file string, n int) {
	switch {
	case n > clipLimit:
		cs.errorf(file, 0, "HTML is %s, over Gmail's 102 KB clipping limit: Gmail would hide the end of the issue, unsubscribe link included; shorten it", kb(n))
	case n > clipWarn:
		cs.warnf(file, 0, "HTML is %s, close to Gmail's 102 KB clipping limit", kb(n))
	}
}

func kb(n int) string {
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}
