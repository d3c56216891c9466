package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/charset" // registers ISO-2022-JP, KOI8-R, ... for bodies
	"github.com/emersion/go-message/textproto"
)

// Limits that keep hostile or broken input cheap.
const (
	maxDepth     = 8       // nesting of multiparts
	maxParts     = 64      // parts looked at in one message
	maxTextBytes = 1 << 20 // read of one text part
	maxOrigBytes = 64 << 10
)

// message is what the classifier needs from one notification, gathered in
// one walk over its MIME tree.
type message struct {
	header     textproto.Header
	from       string // address (or bare mailbox name) of the sender
	subject    string // decoded
	mediaType  string // top-level media type, lowercase
	reportType string // report-type parameter of a multipart/report

	dsn   [][]byte // message/delivery-status and message/global-delivery-status bodies
	arf   []byte   // message/feedback-report body
	texts []string // human-readable parts, in order: the notification prose

	original    *originalHeader // headers of the returned message
	hasOriginal bool
	origBody    string // start of the returned message's body, when attached

	parts int

	// truncated lists the limits the message ran into, so a caller never
	// mistakes a cut report for a complete one; dropped counts the
	// recipient fields seen past a limit and not reported.
	truncated []string
	dropped   int
}

// readMessage parses the header and walks the MIME tree of one message.
func readMessage(data []byte) (*message, error) {
	h, off := readHeader(data)
	if h.Len() == 0 {
		return nil, ErrNotMessage
	}
	m := &message{header: h}
	m.from = headerAddress(h.Get("From"))
	m.subject = strings.TrimSpace(decodeWords(h.Get("Subject")))

	mh := gomessage.Header{Header: h}
	mt, params, _ := mh.ContentType()
	m.mediaType = mt
	m.reportType = lowerASCII(params["report-type"])

	body := data[off:]
	// New only fails on unknown charsets or encodings, and still returns a
	// readable entity in that case: read it as is.
	e, _ := gomessage.New(mh, bytes.NewReader(body))
	m.walk(e, 0, body)
	if len(m.texts) == 0 && len(m.dsn) == 0 && m.arf == nil {
		// A broken MIME structure (missing boundary, bad part header):
		// fall back to the raw body as text, which still holds the prose.
		m.texts = append(m.texts, string(decodeStray(body)))
	}
	return m, nil
}

// walk visits one entity and its children. raw, when not nil, is the
// entity's undecoded body, which a multipart's body always is: reading it
// again through the entity would only copy it.
func (m *message) walk(e *gomessage.Entity, depth int, raw []byte) {
	m.parts++
	if depth > maxDepth {
		m.cut("MIME nesting deeper than " + strconv.Itoa(maxDepth))
		return
	}
	if m.parts > maxParts {
		m.cut("more than " + strconv.Itoa(maxParts) + " MIME parts")
		return
	}
	mt, params, _ := e.Header.ContentType()
	if mt == "" {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		m.walkMultipart(e, mt, params, depth, raw)
	case mt == "message/delivery-status", mt == "message/global-delivery-status",
		mt == "text/delivery-status", mt == "message/x-delivery-status":
		m.dsn = append(m.dsn, decodeStray(m.readReport(e.Body, "delivery-status")))
	case mt == "message/feedback-report":
		m.arf = m.readReport(e.Body, "feedback-report")
	case mt == "message/rfc822", mt == "message/global", mt == "message/partial",
		mt == "text/rfc822-headers", mt == "message/rfc822-headers", mt == "message/global-headers":
		if !m.hasOriginal {
			m.setOriginal(readOriginal(e.Body))
		}
	case mt == "text/html":
		m.addText(htmlToText(string(decodeStray(m.readReport(e.Body, "text/html")))))
	case strings.HasPrefix(mt, "text/"):
		m.addText(string(decodeStray(m.readReport(e.Body, mt))))
	case mt == "application/octet-stream" && strings.HasSuffix(lowerASCII(params["name"]), ".eml"):
		if !m.hasOriginal {
			m.setOriginal(readOriginal(e.Body))
		}
	}
}

// walkMultipart visits the parts of a multipart entity with go-message's
// reader. Bounces are often mangled (a part header broken across lines, the
// closing boundary cut off); when the reader gives up, the parts are split
// again leniently so the rest of the notification is not lost.
func (m *message) walkMultipart(e *gomessage.Entity, mt string, params map[string]string, depth int, raw []byte) {
	body := raw
	if body == nil {
		body = readLimited(e.Body, maxMessageBytes)
	}
	boundary := params["boundary"]
	if boundary == "" {
		boundary = guessBoundary(body)
	}
	if boundary == "" {
		m.addText(string(body))
		return
	}
	alt := mt == "multipart/alternative"
	snap := m.snapshot()
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	failed := false
	for m.parts <= maxParts {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			failed = true
			break
		}
		ent, _ := gomessage.New(gomessage.Header{Header: p.Header}, p)
		m.visitPart(ent, alt, snap.texts, depth, nil)
	}
	if !failed {
		return
	}
	m.restore(snap)
	for _, part := range splitParts(body, boundary) {
		if m.parts > maxParts {
			return
		}
		h, off := readHeader(part)
		ent, _ := gomessage.New(gomessage.Header{Header: h}, bytes.NewReader(part[off:]))
		m.visitPart(ent, alt, snap.texts, depth, part[off:])
	}
}

// visitPart walks one part; of an alternative's renderings only the first
// text one is kept (plain text, which senders put first).
func (m *message) visitPart(p *gomessage.Entity, alt bool, altStart int, depth int, raw []byte) {
	if alt && len(m.texts) > altStart {
		if pt, _, _ := p.Header.ContentType(); pt == "text/html" || pt == "text/plain" || pt == "" {
			return
		}
	}
	m.walk(p, depth+1, raw)
}

// snapshot records how much the walk has gathered, so a failed attempt at a
// multipart can be undone.
type snapshot struct {
	texts, dsn, parts int
	arf               []byte
	hasOriginal       bool
	original          *originalHeader
	origBody          string
	truncated         int
	dropped           int
}

func (m *message) snapshot() snapshot {
	return snapshot{texts: len(m.texts), dsn: len(m.dsn), parts: m.parts, arf: m.arf,
		hasOriginal: m.hasOriginal, original: m.original, origBody: m.origBody,
		truncated: len(m.truncated), dropped: m.dropped}
}

func (m *message) restore(s snapshot) {
	m.texts, m.dsn, m.parts, m.arf = m.texts[:s.texts], m.dsn[:s.dsn], s.parts, s.arf
	m.hasOriginal, m.original, m.origBody = s.hasOriginal, s.original, s.origBody
	m.truncated, m.dropped = m.truncated[:s.truncated], s.dropped
}

// splitParts cuts a multipart body at its boundary lines without judging
// the parts, and tolerates a missing closing boundary.
func splitParts(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for pos := 0; pos < len(body); {
		end := nextLine(body, pos)
		line := trimEOL(body[pos:end])
		if bytes.HasPrefix(line, delim) {
			rest := bytes.TrimRight(line[len(delim):], " \t")
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				if start >= 0 {
					parts = append(parts, body[start:pos])
				}
				if closing {
					return parts
				}
				start = end
			}
		}
		pos = end
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts
}

// guessBoundary finds the boundary of a multipart whose Content-Type lost
// its parameter: the first "--token" line that recurs.
func guessBoundary(body []byte) string {
	for pos, n := 0, 0; pos < len(body) && n < 200; n++ {
		end := nextLine(body, pos)
		line := trimEOL(body[pos:end])
		pos = end
		if len(line) < 6 || len(line) > 74 || line[0] != '-' || line[1] != '-' || bytes.ContainsAny(line, " \t") {
			continue
		}
		b := string(line[2:])
		if bytes.Count(body, line) > 1 || bytes.Contains(body, []byte("--"+b+"--")) {
			return b
		}
	}
	return ""
}

// addText records a text part. A text part that is itself a header block,
// after the notification prose, is the returned message sent without a
// message/rfc822 label.
func (m *message) addText(s string) {
	if len(m.texts) > 0 && !m.hasOriginal && looksLikeHeaderBlock(s) {
		m.setOriginal([]byte(s))
		return
	}
	m.texts = append(m.texts, s)
}

// setOriginal records the first returned message's header.
func (m *message) setOriginal(b []byte) {
	if m.hasOriginal {
		return
	}
	b = bytes.TrimLeft(b, "\r\n\t ")
	if n, _ := peekHeader(b); n == 0 {
		return
	}
	m.original = newOriginalHeader(b)
	m.hasOriginal = true
	rest := b[len(m.original.raw):]
	if len(rest) > 4096 {
		rest = rest[:4096]
	}
	m.origBody = string(rest)
}

// readOriginal reads the start of a returned message: its header and a
// little of its body are all the classifier uses, and the body may be large.
func readOriginal(r io.Reader) []byte {
	b := readLimited(r, 16<<10)
	if len(b) < 16<<10 || scanHeader(bytes.TrimLeft(b, "\r\n\t "), nil) < len(b)-4096 {
		return b
	}
	// A long header: read on, within the limit.
	return append(b, readLimited(r, maxOrigBytes-16<<10)...)
}

// decodeStray decodes ISO-2022-JP text that arrived without (or with a
// wrong) charset label: Japanese mail systems send bounces that way, and its
// escape sequences are unambiguous.
func decodeStray(b []byte) []byte {
	if !bytes.Contains(b, []byte("\x1b$B")) && !bytes.Contains(b, []byte("\x1b$@")) {
		return b
	}
	r, err := charset.Reader("iso-2022-jp", bytes.NewReader(b))
	if err != nil {
		return b
	}
	d, err := io.ReadAll(r)
	if err != nil && len(d) == 0 {
		return b
	}
	return d
}

// readReport reads a part that may list recipients, up to maxTextBytes.
// Past the limit it keeps whole field groups only, counts the recipient
// fields it leaves out and records the cut: a 100,000-recipient report
// must not pass for a complete 13,000-recipient one.
func (m *message) readReport(r io.Reader, what string) []byte {
	b := readLimited(r, maxTextBytes)
	if len(b) < maxTextBytes {
		return b
	}
	var next [1]byte
	if n, _ := io.ReadFull(r, next[:]); n == 0 {
		return b // exactly at the limit
	}
	keep := lastGroupEnd(b)
	m.dropped += countRecipientFields(io.MultiReader(bytes.NewReader(b[keep:]), bytes.NewReader(next[:]), r))
	m.cut(fmt.Sprintf("%s part larger than %d bytes", what, maxTextBytes))
	return b[:keep]
}

// cut records a limit the message ran into, once.
func (m *message) cut(reason string) {
	if !slices.Contains(m.truncated, reason) {
		m.truncated = append(m.truncated, reason)
	}
}

// lastGroupEnd returns the end of the last complete field group in b (after
// its blank line), else of the last complete line, so that a cut never
// leaves a half address behind.
func lastGroupEnd(b []byte) int {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.LastIndex(b, []byte(sep)); i >= 0 {
			return i + len(sep)
		}
	}
	return bytes.LastIndexByte(b, '\n') + 1
}

// countRecipientFields counts the lines of r that start a recipient's
// field group: Final-Recipient, which RFC 3464 requires in each, or
// Original-Recipient when a broken report has no Final-Recipient at all.
func countRecipientFields(r io.Reader) int {
	br := bufio.NewReaderSize(r, 4096)
	final, original := 0, 0
	start := true
	for {
		line, err := br.ReadSlice('\n')
		if start {
			switch {
			case hasPrefixFold(line, "final-recipient:"):
				final++
			case hasPrefixFold(line, "original-recipient:"):
				original++
			}
		}
		// A line longer than the buffer comes in pieces; only the first
		// may start a field.
		start = err != bufio.ErrBufferFull
		if err != nil && err != bufio.ErrBufferFull {
			break
		}
	}
	if final == 0 {
		return original
	}
	return final
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

func readLimited(r io.Reader, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	return b
}

// htmlToText turns an HTML part into plain lines, good enough for pattern
// matching: tags dropped, block ends become line breaks, entities decoded.
func htmlToText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		tag := lowerASCII(s[i+1 : i+j])
		if skip := elementToSkip(tag); skip != "" {
			// Drop the element's content, not only its tags.
			if k := strings.Index(lowerASCII(s[i+j:]), "</"+skip); k >= 0 {
				i += j + k
				continue
			}
		}
		name := strings.TrimLeft(tag, "/")
		if k := strings.IndexAny(name, " \t\r\n/"); k >= 0 {
			name = name[:k]
		}
		switch name {
		case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "pre", "blockquote":
			b.WriteByte('\n')
		case "td", "th":
			b.WriteByte(' ')
		}
		i += j + 1
	}
	return strings.ReplaceAll(html.UnescapeString(b.String()), "\u00a0", " ")
}

func elementToSkip(tag string) string {
	for _, e := range [...]string{"style", "script", "head"} {
		if strings.HasPrefix(tag, e) && (len(tag) == len(e) || tag[len(e)] == ' ' || tag[len(e)] == '>') {
			return e
		}
	}
	return ""
}
