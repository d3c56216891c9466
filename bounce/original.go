package bounce

import "strings"

// originalMarkers are the lines (lowercase, without surrounding dashes)
// with which mail servers introduce the copy of the returned message.
var originalMarkers = []string{
	"this is a copy of the message",            // Exim
	"this is a copy of your message",           // Exim
	"below this line is a copy of the message", // qmail
	"original message follows",
	"original message",
	"original message headers",
	"headers of the original message",
	"header of the original message",
	"original message header",
	"message headers follow", // DragonFly
	"the original message was",
	"the original message headers",
	"original text follows",
	"unsent message below",
	"the following is the original message",
	"returned message follows",
	"copy of the original message",
	"included is a copy of the message header",
	"message text follows",
	"the first part of the original message follows",
	"text of the returned message",
	"returned content",
	"rfc822 part follows",
	"undelivered message attached",
	"undelivered message follows",
	"original message attached",
	"message below",
	"bounced e-mail",
	"bounced email",
	"content-type: message/rfc822",
	"content-type: text/rfc822-headers",
}

// markerIdx finds the markers in one pass over a notice.
var markerIdx = newPhraseIndex(map[string][]string{"marker": originalMarkers})

// weakOriginalMarkers introduce the copy only when they are the whole line:
// the same words appear inside prose ("The original message was received at").
var weakOriginalMarkers = []string{
	"original message", "the original message was", "original message header", "message below",
}

// markerLine normalises a line for marker matching.
func markerLine(line string) string {
	return lowerASCII(strings.Trim(line, " \t\r-=*_#<>|[]():"))
}

// markerWindow bounds how far into the text the copy of the returned
// message is looked for: notices are short, quoted messages may be huge.
const markerWindow = 256 << 10

// splitOriginal cuts a notification's text where the quoted copy of the
// returned message begins. It returns the notice prose, its lowercase form
// and the quoted copy ("" when there is none). The search looks at the
// start of the text first, where notices put the copy's announcement.
func splitOriginal(text string) (notice, noticeLower, quoted string) {
	for _, w := range [...]int{16 << 10, markerWindow} {
		window := text
		if len(window) > w {
			window = window[:w]
		}
		lower := lowerASCII(window)
		cut := originalCut(window, lower)
		if cut < len(window) || len(window) == len(text) || w == markerWindow {
			if cut == len(text) {
				return text, lower, ""
			}
			if cut == len(window) {
				// No copy found in the window: the rest is notice too.
				return text, lower + lowerASCII(text[cut:]), ""
			}
			notice, quoted = text[:cut], text[cut:]
			if next := strings.IndexByte(quoted, '\n'); next >= 0 && isOriginalMarker(quoted[:next]) {
				quoted = quoted[next+1:]
			}
			return notice, lower[:cut], quoted
		}
	}
	return text, lowerASCII(text), ""
}

// originalCut returns where the copy of the returned message starts in
// window, or len(window).
func originalCut(window, lower string) int {
	cut := len(window)
	checked := 0 // end of the last line judged, so each line is judged once
	markerIdx.each(lower, func(id int32, end int) bool {
		if end <= checked {
			return true
		}
		ls, le := lineAround(lower, end-1)
		checked = le
		if isOriginalMarker(window[ls:le]) {
			cut = ls
			return false
		}
		return true
	})
	// A quoted header without an announcing line.
	for pos := 0; pos < cut; {
		end := strings.IndexByte(lower[pos:cut], '\n')
		if end < 0 {
			end = cut
		} else {
			end += pos + 1
		}
		if pos > 0 && startsOriginalHeader(lower[pos:end]) && quotedHeaderFollows(window[pos:]) {
			return pos
		}
		pos = end
	}
	return cut
}

// lineAround returns the bounds of the line holding s[i].
func lineAround(s string, i int) (int, int) {
	ls := strings.LastIndexByte(s[:i], '\n') + 1
	le := strings.IndexByte(s[i:], '\n')
	if le < 0 {
		return ls, len(s)
	}
	return ls, i + le
}

func isOriginalMarker(line string) bool {
	l := markerLine(line)
	if len(l) < 8 || len(l) > 90 {
		return false
	}
	for _, w := range weakOriginalMarkers {
		if l == w || l == w+":" || l == w+"." {
			return true
		}
	}
	for _, mk := range originalMarkers {
		if !strings.Contains(l, mk) {
			continue
		}
		if isWeakMarker(mk) {
			continue
		}
		return true
	}
	return false
}

func isWeakMarker(mk string) bool {
	for _, w := range weakOriginalMarkers {
		if mk == w {
			return true
		}
	}
	return false
}

// originalHeaderKeys start the header of a quoted message.
var originalHeaderKeys = []string{
	"return-path:", "received:", "message-id:", "date:", "from:", "to:", "subject:", "dkim-signature:",
	"mime-version:", "delivered-to:", "x-", "content-type:", "reply-to:", "sender:", "authentication-results:",
	"arc-", "domainkey-signature:",
}

// startsOriginalHeader reports whether a (lowercase) line starts a field
// of a quoted message header.
func startsOriginalHeader(line string) bool {
	if len(line) < 4 || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	l := line
	for _, k := range originalHeaderKeys {
		if strings.HasPrefix(l, k) {
			return true
		}
	}
	return false
}

// quotedHeaderFollows requires three header-looking lines in a row, so a
// "Subject:" line in a notice's summary does not count as the copy.
func quotedHeaderFollows(text string) bool {
	n, f := peekHeader(text)
	return n >= 3 && (f&(fieldReceived|fieldMessageID|fieldReturnPath|fieldDKIM) != 0 ||
		f&fieldDate != 0 && f&fieldFrom != 0)
}
