package inbox

import (
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/bounce/apply"
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
		tag = subscribers.FoldToken(tag)
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

// deliveryRefs lists the places a delivery token may be, in the
// order they are trusted.
func deliveryRefs(tags []string, res *bounce.Result, h textproto.Header, base string) []apply.Ref {
	var cs []apply.Ref
	for _, tag := range tags {
		if !strings.HasPrefix(tag, unsubPrefix) {
			cs = append(cs, apply.Ref{Token: tag, Attr: AttrVERP, Where: "verp"})
		}
	}
	if id := res.OriginalMessageID; id != "" {
		cs = append(cs, apply.MessageIDRef(id, "original message-id"))
	}
	if v := strings.TrimSpace(res.OriginalHeader("X-Dispatch-Delivery")); v != "" {
		cs = append(cs, apply.Ref{Token: v, Attr: AttrHeader, Where: "original x-dispatch-delivery"})
	}
	// RFC 9477 complaint reports must keep CFBL-Feedback-ID even when they
	// redact the rest of the original; mailer puts the delivery token there.
	if v := strings.TrimSpace(res.OriginalHeader("CFBL-Feedback-ID")); v != "" {
		cs = append(cs, apply.Ref{Token: v, Attr: AttrHeader, Where: "original cfbl-feedback-id"})
	}
	for _, a := range addresses(res.OriginalHeader("Return-Path")) {
		if tag, ok := subscribers.VERPTag(a, base); ok {
			cs = append(cs, apply.Ref{Token: tag, Attr: AttrHeader, Where: "original return-path"})
		}
	}
	// Some servers return no original headers but do reference the
	// original message.
	for _, k := range []string{"In-Reply-To", "References"} {
		for _, id := range msgIDs(h.Get(k)) {
			cs = append(cs, apply.MessageIDRef(id, strings.ToLower(k)))
		}
	}
	return cs
}
