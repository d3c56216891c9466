package mailer

import (
	"fmt"
	"io"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

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
	listName     string
	subscriberID int64
	email, name  string
}

// headerSet holds the per-campaign header values computed once.
type headerSet struct {
	from          string // formatted From
	replyTo       string
	bounceAddress string
	domain        string // for Message-ID, List-Id
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
	h := headerSet{from: addr.String(), replyTo: cfg.ReplyTo, bounceAddress: cfg.BounceAddress}
	if h.bounceAddress == "" {
		h.bounceAddress = addr.Address
	}
	h.domain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return h, nil
}

// listID renders a List-Id (RFC 2919): a readable phrase and a unique,
// stable identifier under the sender's domain.
func (h headerSet) listID(name string, id int64) string {
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
		if r == '"' || r == '\\' || r < ' ' {
			return -1
		}
		return r
	}, name)
	return fmt.Sprintf("\"%s\" <%s.%d.%s>", phrase, label, id, h.domain)
}

// build assembles the message for one recipient from its rendered parts.
func (s *Sender) build(h headerSet, env envelope, r *templates.Rendered, unsubURL string) (*gomail.Msg, string, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(h.from); err != nil {
		return nil, "", fmt.Errorf("from: %w", err)
	}
	if h.replyTo != "" {
		if err := m.ReplyTo(h.replyTo); err != nil {
			return nil, "", fmt.Errorf("reply-to: %w", err)
		}
	}
	if err := m.AddToFormat(env.name, env.email); err != nil {
		return nil, "", fmt.Errorf("to %s: %w", env.email, err)
	}
	m.Subject(r.Subject)
	m.SetDateWithValue(s.cfg.Now())

	dtoken := s.cfg.Tokens.Delivery(env.deliveryID)
	msgID := dtoken + "@" + h.domain
	m.SetMessageIDWithValue(msgID)
	m.SetUserAgent("Dispatch")
	// Precedence: bulk, and X-Auto-Response-Suppress to spare the list
	// out-of-office replies.
	m.SetBulk()

	unsubToken := s.cfg.Tokens.Unsubscribe(subscribers.UnsubscribeRef{
		SubscriberID: env.subscriberID, ListID: env.listID, CampaignID: env.campaignID})
	mailto := subscribers.VERPAddress(h.bounceAddress, "unsub-"+unsubToken)
	// RFC 8058: the https URL first, the mailto for clients without one-click.
	m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe,
		fmt.Sprintf("<%s>, <mailto:%s?subject=unsubscribe>", unsubURL, mailto))
	m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	m.SetGenHeaderPreformatted("List-Id", h.listID(env.listName, env.listID))
	// Gmail's feedback loop groups complaints by these fields.
	m.SetGenHeaderPreformatted("Feedback-ID", fmt.Sprintf("c%d:l%d:newsletter:dispatch", env.campaignID, env.listID))
	m.SetGenHeaderPreformatted(DeliveryHeader, dtoken)

	if err := m.EnvelopeFrom(subscribers.VERPAddress(h.bounceAddress, dtoken)); err != nil {
		return nil, "", fmt.Errorf("envelope sender: %w", err)
	}
	// The parts are written straight from the rendered buffers: the
	// *String setters would copy each twice. r must not change until the
	// message is sent, which holds as a worker renders its next message
	// only after this one's Send returned.
	m.SetBodyWriter(gomail.TypeTextPlain, writeBytes(r.Text))
	m.AddAlternativeWriter(gomail.TypeTextHTML, writeBytes(r.HTML))
	if s.dkim != nil {
		m.SetDKIM(s.dkim)
	}
	return m, msgID, nil
}

func writeBytes(b []byte) func(io.Writer) (int64, error) {
	return func(w io.Writer) (int64, error) {
		n, err := w.Write(b)
		return int64(n), err
	}
}
