package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/subscribers"
)

// unsubPrefix marks the VERP tag of the List-Unsubscribe mailto: address
// (mailer builds bounces+unsub-TOKEN@...).
const unsubPrefix = "unsub-"

// recipientFields are the notification's header fields that may hold the
// address it was delivered to, hence a VERP tag.
var recipientFields = []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc", "Return-Path"}

// verpTags returns the VERP tags of every address the notification was
// delivered to, first seen first.
func (p *Processor) verpTags(res *bounce.Result, h textproto.Header) []string {
	addrs := append([]string(nil), res.DeliveredTo...)
	for _, k := range recipientFields {
		for _, v := range h.Values(k) {
			addrs = append(addrs, addresses(v)...)
		}
	}
	var tags []string
	seen := map[string]bool{}
	for _, a := range addrs {
		tag, ok := subscribers.VERPTag(a, p.cfg.BounceAddress)
		if !ok {
			continue
		}
		tag = lowerASCII(tag)
		if !seen[tag] {
			seen[tag] = true
			tags = append(tags, tag)
		}
	}
	return tags
}

// unsubscribeRef finds a verified unsubscribe token among the VERP tags.
// forged reports a tag that looked like one but did not verify.
func (p *Processor) unsubscribeRef(tags []string) (ref subscribers.UnsubscribeRef, ok, forged bool) {
	for _, tag := range tags {
		tok, isUnsub := strings.CutPrefix(tag, unsubPrefix)
		if !isUnsub {
			continue
		}
		r, err := p.cfg.Tokens.ParseUnsubscribe(tok)
		if err != nil {
			forged = true
			continue
		}
		return r, true, false
	}
	return subscribers.UnsubscribeRef{}, false, forged
}

// candidate is a delivery token found somewhere in a notification.
type candidate struct {
	token string
	attr  Attribution
	where string // for logs
}

// deliveryCandidates lists the places a delivery token may be, in the
// order they are trusted.
func deliveryCandidates(tags []string, res *bounce.Result, h textproto.Header, base string) []candidate {
	var cs []candidate
	for _, tag := range tags {
		if !strings.HasPrefix(tag, unsubPrefix) {
			cs = append(cs, candidate{tag, AttrVERP, "verp"})
		}
	}
	if id := res.OriginalMessageID; id != "" {
		cs = append(cs, candidate{localPart(id), AttrMessageID, "original message-id"})
	}
	if v := strings.TrimSpace(res.OriginalHeader("X-Dispatch-Delivery")); v != "" {
		cs = append(cs, candidate{v, AttrHeader, "original x-dispatch-delivery"})
	}
	// RFC 9477 complaint reports must keep CFBL-Feedback-ID even when they
	// redact the rest of the original; mailer puts the delivery token there.
	if v := strings.TrimSpace(res.OriginalHeader("CFBL-Feedback-ID")); v != "" {
		cs = append(cs, candidate{v, AttrHeader, "original cfbl-feedback-id"})
	}
	for _, a := range addresses(res.OriginalHeader("Return-Path")) {
		if tag, ok := subscribers.VERPTag(a, base); ok {
			cs = append(cs, candidate{tag, AttrHeader, "original return-path"})
		}
	}
	// Some servers return no original headers but do reference the
	// original message.
	for _, k := range []string{"In-Reply-To", "References"} {
		for _, id := range msgIDs(h.Get(k)) {
			cs = append(cs, candidate{localPart(id), AttrMessageID, strings.ToLower(k)})
		}
	}
	return cs
}

// findDelivery returns the first delivery a verified token names, or nil.
// Tokens that do not verify are skipped: they are forged or mangled, and
// the caller falls back to the recipient address.
func (p *Processor) findDelivery(ctx context.Context, cs []candidate, source string) (*subscribers.Delivery, Attribution, error) {
	tried := map[string]bool{}
	for _, c := range cs {
		tok := lowerASCII(strings.TrimSpace(c.token))
		if tok == "" || tried[tok] {
			continue
		}
		tried[tok] = true
		id, err := p.cfg.Tokens.ParseDelivery(tok)
		if err != nil {
			// Message-IDs of other senders are expected here; a bad VERP
			// tag at our own bounce address is not.
			if c.attr == AttrVERP {
				p.log.WarnContext(ctx, "bounce mail: invalid delivery token in VERP address", "source", source)
			}
			continue
		}
		d, err := p.cfg.Store.FindDelivery(ctx, id)
		if errors.Is(err, subscribers.ErrNotFound) {
			p.log.InfoContext(ctx, "bounce mail: delivery no longer exists", "source", source, "delivery", id, "from", c.where)
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("find delivery %d: %w", id, err)
		}
		return d, c.attr, nil
	}
	return nil, "", nil
}

// lowerASCII folds the case of ASCII letters only. strings.ToLower would
// turn look-alikes such as U+212A KELVIN SIGN into "k" and so make a token
// that was never issued verify; left alone, they fail verification.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
