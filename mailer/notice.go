package mailer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"slices"
)

// Notice is a short plain-text message Dispatch sends to one person on
// its own account, outside any campaign: a link to their preference
// centre, a confirmation. It is not bulk mail, so it has no List-* headers.
type Notice struct {
	To      string // a bare address
	Subject string
	Text    string // the body, plain text with "\n" line ends
}

// SendNotice sends n through the first relay, DKIM-signed when configured,
// on a connection of its own. It blocks until the relay answers, so
// callers on a request path queue notices and send them from a worker.
// It is safe for concurrent use.
func (s *Sender) SendNotice(ctx context.Context, n Notice) error {
	m, err := s.buildNotice(n)
	if err != nil {
		return err
	}
	cn := &conn{relay: s.relays[0], idle: s.cfg.IdleTimeout}
	defer cn.close()
	if err := cn.ensure(ctx, s.cfg.Now()); err != nil {
		return err
	}
	if o := classify(cn.send(m, s.cfg.Now())); o.verdict != vSent {
		cn.dropIfReset(o)
		return fmt.Errorf("notice to %s not accepted (%s): %s", n.To, o.verdict, o.text)
	}
	return nil
}

func (s *Sender) buildNotice(n Notice) (*message, error) {
	h, err := newHeaderSet(s.cfg, "")
	if err != nil {
		return nil, err
	}
	to, err := mail.ParseAddress(n.To)
	if err != nil || to.Name != "" {
		return nil, fmt.Errorf("notice to %q: not a bare address", n.To)
	}
	var id [12]byte
	rand.Read(id[:])
	m := &message{from: "<" + h.bounceAddress + ">", to: (&mail.Address{Address: to.Address}).String()}
	b := appendField(nil, "From", h.from)
	if h.replyTo != "" {
		b = appendField(b, "Reply-To", h.replyTo)
	}
	b = appendField(b, "To", m.to)
	b = appendField(b, "Subject", headerText(n.Subject))
	b = append(b, "Date: "...)
	b = m.appendDate(b, s.cfg.Now())
	b = append(b, "\r\nMessage-ID: <n"...)
	b = append(b, hex.EncodeToString(id[:])...)
	b = append(b, '@')
	b = append(b, h.domain...)
	// RFC 3834: an automatic message; auto-responders must not answer it.
	b = append(b, ">\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"...)
	b = append(b, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"...)
	b = appendQP(b, []byte(n.Text))
	b = append(b, '\r', '\n')
	if s.dkim != nil {
		sig, err := s.dkim.sign(b)
		if err != nil {
			return nil, err
		}
		b = append([]byte(sig), b...)
	}
	m.data = slices.Grow(b, 3)
	return m, nil
}
