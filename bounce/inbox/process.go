package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/subscribers"
)

const (
	// source is the Bounce.Source and event actor of what mail reports.
	source = "mail"
	// actorSubscriber and reasonMailto record a mailto: unsubscribe the way
	// the web records a link click.
	actorSubscriber = "subscriber"
	reasonMailto    = "mailto"
	// maxReason bounds the diagnostic text kept with a bounce.
	maxReason = 300
)

// Process classifies one raw message and applies it. source names where it
// came from, for the Outcome and logs. The error is non-nil when the
// message could not be read (wrapping bounce.ErrNotMessage, which retrying
// cannot fix) or the store failed (which it may); the Outcome then carries
// the error too. Process is safe for concurrent use.
func (p *Processor) Process(ctx context.Context, raw []byte, src string) (Outcome, error) {
	out := Outcome{Source: src}
	// The readers keep a byte past the limit to mark a message they cut.
	cut := len(raw) > maxMessageBytes
	if cut {
		raw = raw[:maxMessageBytes]
	}
	res, err := bounce.ParseBytes(raw)
	if err != nil {
		err = fmt.Errorf("classify %s: %w", src, err)
		out.Error = err.Error()
		return out, err
	}
	if cut {
		res.Truncated = strings.Join(slices.DeleteFunc([]string{
			fmt.Sprintf("message larger than %d bytes", maxMessageBytes), res.Truncated}, func(s string) bool { return s == "" }), "; ")
	}
	h := readHeader(raw)
	out.MessageID = firstMsgID(h.Get("Message-Id"))
	out.Key = messageKey(out.MessageID, raw)
	out.Type, out.FeedbackType, out.Truncated = res.Type, res.FeedbackType, res.Truncated

	tags := p.verpTags(res, h)
	ref, ok, forged := p.unsubscribeRef(tags)
	if ok {
		return p.fail(p.unsubscribe(ctx, out, ref))
	}
	if forged {
		p.log.WarnContext(ctx, "bounce mail: invalid unsubscribe token", "source", src)
	}
	switch {
	case res.Type == bounce.TypeAutoReply:
		out.Ignored = "auto-reply"
		return out, nil
	case res.Delayed:
		out.Delayed = true
		out.Ignored = "delivery delayed, still being retried"
		return out, nil
	case res.Type == bounce.TypeComplaint && res.FeedbackType == "opt-out":
		// An unsubscribe request is honoured only through its signed token;
		// it is never a complaint.
		out.Unattributed = true
		out.Ignored = "unsubscribe request without a valid token"
		return out, nil
	case res.Type != bounce.TypeBounce && res.Type != bounce.TypeComplaint:
		out.Ignored = "not a bounce"
		if forged {
			out.Unattributed = true
			out.Ignored = "unsubscribe request without a valid token"
		}
		return out, nil
	}
	if diag, ok := senderRefusal(res); ok {
		// A later hop refused our envelope sender, domain or message: the
		// recipient did nothing wrong, and the admin has something to fix.
		out.SenderRefused = diag
		out.Ignored = "refused for a reason about the sender, not the recipient"
		p.log.WarnContext(ctx, "bounce mail: refused for a reason about the sender; nothing recorded against the recipient",
			"source", src, "diagnostic", diag)
		return out, nil
	}
	cs := deliveryCandidates(tags, res, h, p.cfg.BounceAddress)
	d, attr, err := p.findDelivery(ctx, cs, src)
	if err != nil {
		return p.fail(out, err)
	}
	return p.fail(p.apply(ctx, out, res, d, attr))
}

// fail copies an error into the outcome.
func (p *Processor) fail(out Outcome, err error) (Outcome, error) {
	if err != nil {
		out.Error = err.Error()
	}
	return out, err
}

// target is one bounce to record before attribution.
type target struct {
	address string
	kind    subscribers.BounceKind
	status  string
	reason  string
}

// targets lists what a bounce or complaint reports, one per recipient.
func targets(res *bounce.Result) []target {
	var ts []target
	for _, r := range res.Recipients {
		if res.Type == bounce.TypeComplaint {
			ts = append(ts, target{address: r.Address, kind: subscribers.BounceComplaint,
				reason: "complaint: " + res.FeedbackType})
			continue
		}
		// A bounce may also list recipients that are only delayed; those
		// are still being retried and are not bounces. A refusal about the
		// sender is never the recipient's bounce.
		if r.Action == "delayed" || r.Blame == bounce.BlameSender {
			continue
		}
		kind := subscribers.BounceSoft
		if r.Hard {
			kind = subscribers.BounceHard
		}
		ts = append(ts, target{address: r.Address, kind: kind, status: r.Status, reason: reasonText(r)})
	}
	if len(ts) == 0 && res.Type == bounce.TypeComplaint {
		ts = append(ts, target{kind: subscribers.BounceComplaint, reason: "complaint: " + res.FeedbackType})
	}
	return ts
}

// senderRefusal reports a bounce whose every failed recipient was refused
// for a reason about the sender, with the first one's diagnostic.
func senderRefusal(res *bounce.Result) (string, bool) {
	if res.Type != bounce.TypeBounce {
		return "", false
	}
	diag, failed := "", 0
	for _, r := range res.Recipients {
		if r.Action == "delayed" {
			continue
		}
		if r.Blame != bounce.BlameSender {
			return "", false
		}
		if failed == 0 {
			diag = reasonText(r)
		}
		failed++
	}
	return diag, failed > 0
}

func reasonText(r bounce.Recipient) string {
	s := r.Reason
	if r.Diagnostic != "" {
		if s != "" {
			s += ": "
		}
		s += r.Diagnostic
	}
	return truncateText(s, maxReason)
}

// truncateText cuts s to at most n bytes, on a character boundary.
func truncateText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// apply records the bounce or complaint: for the delivery's subscriber when
// one was found, else, under the address rule, for each reported address.
func (p *Processor) apply(ctx context.Context, out Outcome, res *bounce.Result, d *subscribers.Delivery, attr Attribution) (Outcome, error) {
	ts := targets(res)
	if len(ts) == 0 {
		out.Unattributed = true
		out.Ignored = "no failed recipient"
		return out, nil
	}
	addrs := reportedAddresses(ts)
	out.ReportRecipients = len(addrs) + res.DroppedRecipients
	if d == nil {
		if why := p.unmatchable(res, addrs); why != "" {
			return p.unattributed(ctx, out, res, ts, addrs, why)
		}
	}
	if d != nil {
		t := p.pick(ctx, ts, d, out.Source)
		addr := t.address
		if addr == "" {
			addr = d.Email
		}
		b := subscribers.Bounce{SubscriberID: d.SubscriberID, Email: addr, CampaignID: d.CampaignID, DeliveryID: d.ID,
			Kind: t.kind, Status: t.status, Reason: t.reason, Source: source, Key: recipientKey(out.Key, addr)}
		a, err := p.record(ctx, b, attr)
		out.Recipients = append(out.Recipients, a)
		if err != nil {
			return out, err
		}
	} else {
		for _, t := range ts {
			if t.address == "" {
				out.Recipients = append(out.Recipients, Applied{Kind: t.kind, Status: t.status, Reason: t.reason, Unknown: true})
				continue
			}
			b := subscribers.Bounce{Email: t.address, Kind: t.kind, Status: t.status, Reason: t.reason,
				Source: source, Key: recipientKey(out.Key, t.address), ReportRecipients: len(addrs)}
			a, err := p.record(ctx, b, AttrAddress)
			out.Recipients = append(out.Recipients, a)
			if err != nil {
				return out, err
			}
		}
	}
	recorded, known, dup, why := 0, 0, 0, ""
	for _, a := range out.Recipients {
		if a.Attribution == "" {
			continue // no address to record
		}
		recorded++
		if a.SubscriberID != 0 && a.Unattributed == "" {
			known++
		}
		if a.Duplicate {
			dup++
		}
		if why == "" {
			why = a.Unattributed
		}
	}
	out.Unattributed = known == 0
	// Reports for unknown addresses are recorded too (as unattributed), so
	// that a second run reports them as duplicates like the rest.
	out.Duplicate = recorded > 0 && dup == recorded
	if out.Unattributed {
		out.Ignored = cmp.Or(why, "no subscriber has the reported address")
	}
	return out, nil
}

// reportedAddresses returns the distinct addresses a report names.
func reportedAddresses(ts []target) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range ts {
		n := subscribers.NormalizeEmail(t.address)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, t.address)
	}
	return out
}

// unmatchable says why a report tied to no delivery cannot be matched by
// address as a whole, or "". Each address of a matchable report is then
// judged by the store (was it mailed within the window?).
func (p *Processor) unmatchable(res *bounce.Result, addrs []string) string {
	max := p.cfg.Policy.WithDefaults().MaxAddressRecipients
	total := len(addrs) + res.DroppedRecipients
	cut := ""
	switch {
	case res.Truncated != "" && res.DroppedRecipients > 0:
		cut = fmt.Sprintf("; it was cut short (%s): %d recipients read, at least %d more not", res.Truncated, len(addrs), res.DroppedRecipients)
	case res.Truncated != "":
		cut = fmt.Sprintf("; it was cut short (%s): %d recipients read, more may be missing", res.Truncated, len(addrs))
	}
	switch {
	case total > max:
		return fmt.Sprintf("no delivery token, and the report names %d recipients (address matching allows at most %d)%s", total, max, cut)
	case cut != "":
		return "no delivery token" + cut
	case len(addrs) == 0:
		return "no delivery token, and the report names no recipient"
	}
	return ""
}

// unattributed records the whole report for review, once, and changes no
// one.
func (p *Processor) unattributed(ctx context.Context, out Outcome, res *bounce.Result, ts []target, addrs []string, why string) (Outcome, error) {
	r := subscribers.UnattributedReport{Kind: ts[0].kind, Source: source, Key: out.Key, Reason: why,
		Recipients: out.ReportRecipients, Addresses: addrs, Status: ts[0].status, Detail: reportDetail(out.Source, res)}
	dup, err := p.cfg.Store.RecordUnattributed(ctx, r)
	if err != nil {
		return out, fmt.Errorf("record unattributed %s: %w", res.Type, err)
	}
	out.Unattributed, out.Duplicate, out.Ignored = true, dup, why
	p.log.WarnContext(ctx, "bounce mail: unattributed report; nothing changed", "source", out.Source,
		"type", res.Type, "recipients", out.ReportRecipients, "reason", why, "duplicate", dup)
	return out, nil
}

// reportDetail says where an unattributed report came from, for review.
func reportDetail(src string, res *bounce.Result) string {
	s := src
	if res.From != "" {
		s += "; from " + res.From
	}
	if res.Subject != "" {
		s += "; subject " + strconv.Quote(res.Subject)
	}
	return truncateText(s, maxReason)
}

// pick chooses the recipient that a delivery-attributed notification is
// about. Dispatch mails one recipient per message, so the report should
// name the subscriber; when it names someone else the mail was forwarded,
// and the bounce still belongs to the subscriber the delivery went to.
func (p *Processor) pick(ctx context.Context, ts []target, d *subscribers.Delivery, src string) target {
	want := subscribers.NormalizeEmail(d.Email)
	for _, t := range ts {
		if want != "" && subscribers.NormalizeEmail(t.address) == want {
			return t
		}
	}
	t := ts[0]
	if t.address == "" || want == "" {
		return t
	}
	if t.kind == subscribers.BounceComplaint {
		// Feedback loops often redact the address; that is no news.
		p.log.InfoContext(ctx, "bounce mail: complaint names another address (redacted?); attributing to the delivery's subscriber",
			"source", src, "delivery", d.ID, "subscriber", d.SubscriberID, "reported", t.address)
		return t
	}
	p.log.WarnContext(ctx, "bounce mail: reported address differs from the delivery's subscriber (forwarded?); attributing to the subscriber",
		"source", src, "delivery", d.ID, "subscriber", d.SubscriberID, "reported", t.address)
	return t
}

// record stores one bounce and reports what happened.
func (p *Processor) record(ctx context.Context, b subscribers.Bounce, attr Attribution) (Applied, error) {
	a := Applied{Address: b.Email, Kind: b.Kind, Status: b.Status, Reason: b.Reason, Attribution: attr,
		DeliveryID: b.DeliveryID, CampaignID: b.CampaignID}
	r, err := p.cfg.Store.RecordBounce(ctx, b, p.cfg.Policy)
	if err != nil {
		return a, fmt.Errorf("record %s bounce for %s: %w", b.Kind, b.Email, err)
	}
	a.SubscriberID, a.Suppressed, a.Duplicate, a.Unknown = r.SubscriberID, r.Suppressed, r.Duplicate, r.Unknown
	a.Unattributed = r.Unattributed
	p.log.InfoContext(ctx, "bounce mail: recorded", "kind", b.Kind, "subscriber", r.SubscriberID,
		"campaign", b.CampaignID, "delivery", b.DeliveryID, "attribution", attr, "status", b.Status,
		"suppressed", string(r.Suppressed), "duplicate", r.Duplicate, "unknown", r.Unknown)
	return a, nil
}

// unsubscribe applies a mail to the List-Unsubscribe mailto: address. The
// token proves the sender received the newsletter, exactly like the link.
// The store keeps no ledger of processed unsubscribe mails, so a repeat
// is recognised by the subscription already being ended.
func (p *Processor) unsubscribe(ctx context.Context, out Outcome, ref subscribers.UnsubscribeRef) (Outcome, error) {
	sub, err := p.cfg.Store.FindSubscriberByID(ctx, ref.SubscriberID)
	if errors.Is(err, subscribers.ErrNotFound) {
		out.Unattributed = true
		out.Ignored = "unsubscribe for a subscriber who no longer exists"
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("find subscriber %d: %w", ref.SubscriberID, err)
	}
	u := &Unsubscription{SubscriberID: sub.ID, ListID: ref.ListID, CampaignID: ref.CampaignID, Already: unsubscribed(sub, ref.ListID)}
	out.Unsubscribe = u
	if u.Already {
		out.Duplicate = true
		return out, nil
	}
	if err := p.cfg.Store.Unsubscribe(ctx, sub.ID, ref.ListID, ref.CampaignID, actorSubscriber, reasonMailto); err != nil {
		return out, fmt.Errorf("unsubscribe subscriber %d: %w", sub.ID, err)
	}
	p.log.InfoContext(ctx, "bounce mail: unsubscribed by mailto", "subscriber", sub.ID, "list", ref.ListID, "campaign", ref.CampaignID)
	return out, nil
}

// unsubscribed reports whether unsubscribing sub from listID (0: all) would
// change nothing.
func unsubscribed(sub *subscribers.Subscriber, listID int64) bool {
	for _, l := range sub.Lists {
		if (listID == 0 || l.ListID == listID) && l.Status == subscribers.Subscribed {
			return false
		}
	}
	return listID != 0 || sub.Status != subscribers.StatusActive
}
