package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Attribution says how a bounce or an unsubscribe was tied to a subscriber.
type Attribution string

// The ways a report is attributed, most trusted first.
const (
	AttrVERP      Attribution = "verp"       // delivery token in the address the notification was delivered to
	AttrMessageID Attribution = "message-id" // delivery token in the returned Message-ID, In-Reply-To or References
	AttrHeader    Attribution = "header"     // X-Dispatch-Delivery, CFBL-Feedback-ID, Return-Path or a provider variable
	AttrAddress   Attribution = "address"    // the failed recipient's address alone
	AttrToken     Attribution = "token"      // unsubscribe token in the mailto: address
)

// Ref is one place a delivery token may be, as a reader found it.
type Ref struct {
	Token string
	Attr  Attribution
	Where string // for logs: "verp", "original message-id", ...
}

// MessageIDRef is the Ref of a Message-ID Dispatch set: its local part is
// the delivery token. id may keep its angle brackets.
func MessageIDRef(id, where string) Ref {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	if at := strings.LastIndexByte(id, '@'); at > 0 {
		id = id[:at]
	}
	return Ref{Token: id, Attr: AttrMessageID, Where: where}
}

// Attribute returns the delivery the first verified token of refs names,
// or nil. Tokens that do not verify are skipped: they are forged or
// mangled, or another sender's Message-ID, and the report falls back to
// the recipient address. origin names the report in logs.
func (a *Applier) Attribute(ctx context.Context, refs []Ref, origin string) (*subscribers.Delivery, Attribution, error) {
	tried := map[string]bool{}
	for _, r := range refs {
		tok := subscribers.FoldToken(strings.TrimSpace(r.Token))
		if tok == "" || tried[tok] {
			continue
		}
		tried[tok] = true
		id, err := a.cfg.Tokens.ParseDelivery(tok)
		if err != nil {
			// Message-IDs of other senders are expected here; a bad VERP
			// tag at our own bounce address is not.
			if r.Attr == AttrVERP {
				a.log.WarnContext(ctx, a.msg(msgInvalidVERP), "source", origin)
			}
			continue
		}
		d, err := a.cfg.Store.FindDelivery(ctx, id)
		if errors.Is(err, subscribers.ErrNotFound) {
			a.log.InfoContext(ctx, a.msg(msgGone), "source", origin, "delivery", id, "from", r.Where)
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("find delivery %d: %w", id, err)
		}
		return d, r.Attr, nil
	}
	return nil, "", nil
}
