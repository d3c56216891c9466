package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/bounce/apply"
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
	return p.fail(p.apply(ctx, out, res, deliveryRefs(tags, res, h, p.cfg.BounceAddress)))
}

// fail copies an error into the outcome.
func (p *Processor) fail(out Outcome, err error) (Outcome, error) {
	if err != nil {
		out.Error = err.Error()
	}
	return out, err
}

// targets lists what a bounce or complaint reports, one per recipient.
func targets(res *bounce.Result) []apply.Recipient {
	var ts []apply.Recipient
	for _, r := range res.Recipients {
		if res.Type == bounce.TypeComplaint {
			ts = append(ts, apply.Recipient{Address: r.Address, Kind: subscribers.BounceComplaint,
				Reason: "complaint: " + res.FeedbackType})
			continue
		}
		// A bounce may also list recipients that are only delayed; those
		// are still being retried and are not bounces.
		if r.Action == "delayed" {
			continue
		}
		kind := subscribers.BounceSoft
		if r.Hard {
			kind = subscribers.BounceHard
		}
		ts = append(ts, apply.Recipient{Address: r.Address, Kind: kind, Status: r.Status, Reason: reasonText(r),
			Refused: r.Blame == bounce.BlameSender})
	}
	if len(ts) == 0 && res.Type == bounce.TypeComplaint {
		ts = append(ts, apply.Recipient{Kind: subscribers.BounceComplaint, Reason: "complaint: " + res.FeedbackType})
	}
	return ts
}

func reasonText(r bounce.Recipient) string {
	s := string(r.Reason)
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

// apply records the bounce or complaint through the one bounce
// application path (package bounce/apply) and copies what it did into the
// outcome.
func (p *Processor) apply(ctx context.Context, out Outcome, res *bounce.Result, refs []apply.Ref) (Outcome, error) {
	src := out.Source
	r, err := p.applier.Apply(ctx, apply.Report{
		Source:     source,
		Origin:     out.Source,
		Key:        out.Key,
		Refs:       refs,
		Recipients: targets(res),
		Dropped:    res.DroppedRecipients,
		Truncated:  res.Truncated,
		Detail:     func() string { return reportDetail(src, res) },
	})
	out.Recipients, out.ReportRecipients = r.Recipients, r.ReportRecipients
	out.Unattributed, out.Duplicate, out.Ignored = r.Unattributed, r.Duplicate, r.Ignored
	out.SenderRefused = r.SenderRefused
	return out, err
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
