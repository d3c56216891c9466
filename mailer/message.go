package mailer

import (
	"bytes"
	"cmp"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// DeliveryHeader carries the signed delivery token, so provider webhooks
// that echo headers can attribute events without parsing anything else.
const DeliveryHeader = "X-Dispatch-Delivery"

// envelope is what identifies one message: who it goes to and how replies,
// bounces and unsubscribes find their way back.
type envelope struct {
	deliveryID   int64
	campaignID   int64
	listID       int64
	subscriberID int64
	email, name  string
}

// headerSet holds the per-campaign header values computed once.
type headerSet struct {
	from          string // formatted From
	replyTo       string
	bounceAddress string
	domain        string // for Message-ID, List-Id
	list          string // List-Id, once the list is known
	archive       string // List-Archive, for a public list; "" for none
	webURL        string // the web version, with its key
}

// setArchive sets the campaign's web version link and, for a public list,
// its List-Archive header (RFC 2369): the list's archive index.
func (h *headerSet) setArchive(cfg Config, list, slug string, campaignID int64, public bool) {
	if cfg.BaseURL == "" || slug == "" {
		return
	}
	h.webURL = cfg.Tokens.ArchiveLink(cfg.BaseURL, list, slug, campaignID)
	if public {
		h.archive = "<" + strings.TrimSuffix(subscribers.ArchiveURL(cfg.BaseURL, list, ""), "/") + ">"
	}
}

// manageURL is a recipient's preference-centre link, valid for
// subscribers.ManageLinkTTL.
func (s *Sender) manageURL(subscriberID int64) string {
	tok := s.cfg.Tokens.Manage(subscriberID, s.cfg.Now().Add(subscribers.ManageLinkTTL))
	return subscribers.ManageURL(s.cfg.BaseURL, tok)
}

func newHeaderSet(cfg Config, compiledFrom string) (headerSet, error) {
	from := compiledFrom
	if from == "" {
		from = cfg.From
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return headerSet{}, fmt.Errorf("from %q: %w", from, err)
	}
	h := headerSet{from: formatAddress(addr.Name, addr.Address), bounceAddress: addr.Address}
	if cfg.ReplyTo != "" {
		rt, err := mail.ParseAddress(cfg.ReplyTo)
		if err != nil {
			return headerSet{}, fmt.Errorf("reply-to %q: %w", cfg.ReplyTo, err)
		}
		h.replyTo = formatAddress(rt.Name, rt.Address)
	}
	if cfg.BounceAddress != "" {
		ba, err := mail.ParseAddress(cfg.BounceAddress)
		if err != nil {
			return headerSet{}, fmt.Errorf("bounce address %q: %w", cfg.BounceAddress, err)
		}
		h.bounceAddress = ba.Address
	}
	h.domain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return h, nil
}

// listID renders a List-Id (RFC 2919): a readable phrase, the list's
// title (else its name), and a unique identifier under the sender's domain,
// made of the name and id.
func (h headerSet) listID(name, title string, id int64) string {
	label := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, name)
	label = strings.Trim(label, "-")
	if label == "" {
		label = fmt.Sprintf("list%d", id)
	}
	phrase := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, cmp.Or(title, name))
	b := appendPhrase(nil, phrase)
	return fmt.Sprintf("%s <%s.%d.%s>", b, label, id, h.domain)
}

// message is one recipient's message, encoded for the wire. A worker
// reuses one for every message it sends, so building it allocates little.
type message struct {
	from string // envelope sender (VERP), "<bounces+token@domain>"
	to   string // recipient, "<address>"
	// data is the message: CRLF line ends, ending in CRLF, and no line
	// that starts with ".", so DATA takes it as it is: header lines start
	// with a name or, folded, a space; part bodies are quoted-printable,
	// where appendQP writes such a dot as "=2E".
	data  []byte
	spare []byte // the other buffer, for DKIM's signed copy

	dateSec int64  // the second date was formatted for
	date    []byte // a Date value, reused within its second
}

// appendDate appends t as a Date value (RFC 5322 section 3.3), formatting
// it once a second at most.
func (m *message) appendDate(b []byte, t time.Time) []byte {
	if sec := t.Unix(); sec != m.dateSec || len(m.date) == 0 {
		m.dateSec, m.date = sec, t.AppendFormat(m.date[:0], time.RFC1123Z)
	}
	return append(b, m.date...)
}

// build encodes the message for one recipient from its rendered parts
// into m: headers, then multipart/alternative with the text and HTML
// parts, both UTF-8 and quoted-printable, DKIM-signed when configured.
func (s *Sender) build(m *message, h headerSet, env envelope, r *templates.Rendered, unsubToken, unsubURL string) error {
	to, err := mail.ParseAddress(env.email)
	if err != nil {
		return fmt.Errorf("to %s: %w", env.email, err)
	}
	if to.Name != "" {
		return fmt.Errorf("to %s: not a bare address", env.email)
	}
	dtoken := s.cfg.Tokens.Delivery(env.deliveryID)
	m.from = "<" + subscribers.VERPAddress(h.bounceAddress, dtoken) + ">"
	m.to = (&mail.Address{Address: to.Address}).String()

	b := m.data[:0]
	b = appendField(b, "From", h.from)
	if h.replyTo != "" {
		b = appendField(b, "Reply-To", h.replyTo)
	}
	b = appendField(b, "To", formatAddress(env.name, to.Address))
	b = appendField(b, "Subject", headerText(r.Subject))
	b = append(b, "Date: "...)
	b = m.appendDate(b, s.cfg.Now())
	b = append(b, "\r\nMessage-ID: <"...)
	b = append(b, dtoken...)
	b = append(b, '@')
	b = append(b, h.domain...)
	b = append(b, ">\r\nMIME-Version: 1.0\r\n"...)
	// QP output has "=" only before two hex digits or a line end, so "=_"
	// can never occur in a part.
	boundary := "=_" + dtoken
	b = appendField(b, "Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b = appendField(b, "List-Id", h.list)
	// RFC 8058: the https URL first, the mailto for clients without one-click.
	b = appendField(b, "List-Unsubscribe", "<"+unsubURL+">, <mailto:"+
		subscribers.VERPAddress(h.bounceAddress, "unsub-"+unsubToken)+"?subject=unsubscribe>")
	b = append(b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"...)
	if h.archive != "" {
		b = appendField(b, "List-Archive", h.archive)
	}
	// Gmail's feedback loop groups complaints by these fields.
	b = append(b, "Feedback-ID: c"...)
	b = strconv.AppendInt(b, env.campaignID, 10)
	b = append(b, ":l"...)
	b = strconv.AppendInt(b, env.listID, 10)
	b = append(b, ":newsletter:dispatch\r\n"...)
	if s.cfg.CFBLAddress != "" {
		// RFC 9477: where complaint reports go, and an id that ties one
		// back to this delivery; both are covered by the DKIM signature.
		b = append(b, "CFBL-Address: "...)
		b = append(b, s.cfg.CFBLAddress...)
		b = append(b, "; report=arf\r\nCFBL-Feedback-ID: "...)
		b = append(b, dtoken...)
		b = append(b, "\r\n"...)
	}
	b = append(b, DeliveryHeader...)
	b = append(b, ": "...)
	b = append(b, dtoken...)
	// Precedence and X-Auto-Response-Suppress spare the list out-of-office
	// replies.
	b = append(b, "\r\nPrecedence: bulk\r\nX-Auto-Response-Suppress: All\r\nUser-Agent: Dispatch\r\nX-Mailer: Dispatch\r\n\r\n"...)

	b = appendPart(b, boundary, "text/plain", r.Text)
	b = appendPart(b, boundary, "text/html", r.HTML)
	b = append(b, "--"...)
	b = append(b, boundary...)
	b = append(b, "--\r\n"...)

	if s.dkim != nil {
		sig, err := s.dkim.sign(b)
		if err != nil {
			m.data = b
			return err
		}
		b, m.spare = append(append(m.spare[:0], sig...), b...), b
	}
	m.data = slices.Grow(b, 3) // room for the final "." of DATA
	return nil
}

// appendPart appends one part of a multipart body, its delimiter first.
func appendPart(b []byte, boundary, contentType string, body []byte) []byte {
	b = append(b, "--"...)
	b = append(b, boundary...)
	b = append(b, "\r\nContent-Type: "...)
	b = append(b, contentType...)
	b = append(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"...)
	b = appendQP(b, body)
	return append(b, '\r', '\n')
}

// needsSMTPUTF8 reports whether the message carries an address that is not
// ASCII: in the envelope, or in its header (which Dispatch writes in ASCII
// with RFC 2047 encoded words everywhere except addresses).
func (m *message) needsSMTPUTF8() bool {
	header := m.data
	if i := bytes.Index(header, []byte("\r\n\r\n")); i >= 0 {
		header = header[:i]
	}
	return !isASCII(m.from) || !isASCII(m.to) || !isASCII(header)
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
