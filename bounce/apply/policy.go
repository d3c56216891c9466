package apply

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Apply attributes a report and records it: for the delivery's subscriber
// when a token names one, else, under the address rule, for each reported
// address. A report that cannot be matched by address as a whole (too many
// recipients, cut short, no address) is recorded once as unattributed and
// changes no one. The error is a store failure; a retry is safe, because
// every record carries the report's key.
func (a *Applier) Apply(ctx context.Context, r Report) (Result, error) {
	var res Result
	if diag, ok := senderRefusal(r.Recipients); ok {
		// A later hop refused our envelope sender, domain or message: the
		// recipient did nothing wrong, and the admin has something to fix.
		res.SenderRefused = diag
		res.Ignored = "refused for a reason about the sender, not the recipient"
		a.log.WarnContext(ctx, a.msg(msgRefused), "source", r.Origin, "diagnostic", diag)
		return res, nil
	}
	// A refusal about the sender among others is never that recipient's
	// bounce.
	if refused := func(rc Recipient) bool { return rc.Refused }; slices.ContainsFunc(r.Recipients, refused) {
		r.Recipients = slices.DeleteFunc(slices.Clone(r.Recipients), refused)
	}
	if len(r.Recipients) == 0 {
		res.Unattributed = true
		res.Ignored = "no failed recipient"
		return res, nil
	}
	addrs := addresses(r.Recipients)
	res.ReportRecipients = max(len(addrs)+r.Dropped, r.Named)
	d, attr, err := a.Attribute(ctx, r.Refs, r.Origin)
	if err != nil {
		return res, err
	}
	if d != nil {
		rc := a.pick(ctx, r, d)
		addr := cmp.Or(rc.Address, d.Email)
		b := subscribers.Bounce{SubscriberID: d.SubscriberID, Email: addr, CampaignID: d.CampaignID, DeliveryID: d.ID,
			Kind: rc.Kind, Status: rc.Status, Reason: rc.Reason, Source: r.Source, Key: recipientKey(r.Key, addr)}
		ap, err := a.record(ctx, r, b, attr)
		res.Recipients = append(res.Recipients, ap)
		if err != nil {
			return res, err
		}
		return summarize(res), nil
	}
	if why := a.unmatchable(r, addrs, res.ReportRecipients); why != "" {
		return a.unattributed(ctx, r, res, addrs, why)
	}
	for _, rc := range r.Recipients {
		if rc.Address == "" {
			res.Recipients = append(res.Recipients, Applied{Kind: rc.Kind, Status: rc.Status, Reason: rc.Reason, Unknown: true})
			continue
		}
		b := subscribers.Bounce{Email: rc.Address, Kind: rc.Kind, Status: rc.Status, Reason: rc.Reason,
			Source: r.Source, Key: recipientKey(r.Key, rc.Address), ReportRecipients: res.ReportRecipients}
		ap, err := a.record(ctx, r, b, AttrAddress)
		res.Recipients = append(res.Recipients, ap)
		if err != nil {
			return res, err
		}
	}
	return summarize(res), nil
}

// senderRefusal reports a report whose every recipient was refused for a
// reason about the sender, with the first one's diagnostic.
func senderRefusal(rs []Recipient) (string, bool) {
	for _, rc := range rs {
		if !rc.Refused {
			return "", false
		}
	}
	if len(rs) == 0 {
		return "", false
	}
	return rs[0].Reason, true
}

// summarize sets the report-wide flags from the recipients recorded.
func summarize(res Result) Result {
	recorded, known, dup, why := 0, 0, 0, ""
	for _, ap := range res.Recipients {
		if ap.Attribution == "" {
			continue // no address to record
		}
		recorded++
		if ap.SubscriberID != 0 && ap.Unattributed == "" {
			known++
		}
		if ap.Duplicate {
			dup++
		}
		if why == "" {
			why = ap.Unattributed
		}
	}
	res.Unattributed = known == 0
	// Reports for unknown addresses are recorded too (as unattributed), so
	// that a second reading reports them as duplicates like the rest.
	res.Duplicate = recorded > 0 && dup == recorded
	if res.Unattributed {
		res.Ignored = cmp.Or(why, "no subscriber has the reported address")
	}
	return res
}

// unmatchable says why a report tied to no delivery cannot be matched by
// address as a whole, or "". Each address of a matchable report is then
// judged by the store (was it mailed within the window?).
func (a *Applier) unmatchable(r Report, addrs []string, total int) string {
	max := a.Policy().MaxAddressRecipients
	cut := ""
	switch {
	case r.Truncated != "" && r.Dropped > 0:
		cut = fmt.Sprintf("; it was cut short (%s): %d recipients read, at least %d more not", r.Truncated, len(addrs), r.Dropped)
	case r.Truncated != "":
		cut = fmt.Sprintf("; it was cut short (%s): %d recipients read, more may be missing", r.Truncated, len(addrs))
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
func (a *Applier) unattributed(ctx context.Context, r Report, res Result, addrs []string, why string) (Result, error) {
	first := r.Recipients[0]
	u := subscribers.UnattributedReport{Kind: first.Kind, Source: r.Source, Key: r.Key, Reason: why,
		Recipients: res.ReportRecipients, Addresses: addrs, Status: first.Status}
	if r.Detail != nil {
		u.Detail = r.Detail()
	}
	dup, err := a.cfg.Store.RecordUnattributed(ctx, u)
	if err != nil {
		return res, fmt.Errorf("record unattributed %s report: %w", first.Kind, err)
	}
	res.Unattributed, res.Duplicate, res.Ignored = true, dup, why
	a.log.WarnContext(ctx, a.msg(msgReportKept), "source", r.Origin,
		"kind", first.Kind, "recipients", res.ReportRecipients, "reason", why, "duplicate", dup)
	return res, nil
}

// pick chooses the recipient that a delivery-attributed notification is
// about. Dispatch mails one recipient per message, so the report should
// name the subscriber; when it names someone else the mail was forwarded,
// and the bounce still belongs to the subscriber the delivery went to.
func (a *Applier) pick(ctx context.Context, r Report, d *subscribers.Delivery) Recipient {
	want := subscribers.NormalizeEmail(d.Email)
	for _, rc := range r.Recipients {
		if want != "" && subscribers.NormalizeEmail(rc.Address) == want {
			return rc
		}
	}
	rc := r.Recipients[0]
	if rc.Address == "" || want == "" {
		return rc
	}
	if rc.Kind == subscribers.BounceComplaint {
		// Feedback loops often redact the address; that is no news.
		a.log.InfoContext(ctx, a.msg(msgRedacted),
			"source", r.Origin, "delivery", d.ID, "subscriber", d.SubscriberID, "reported", rc.Address)
		return rc
	}
	a.log.WarnContext(ctx, a.msg(msgForwarded),
		"source", r.Origin, "delivery", d.ID, "subscriber", d.SubscriberID, "reported", rc.Address)
	return rc
}

// record stores one bounce and reports what happened.
func (a *Applier) record(ctx context.Context, r Report, b subscribers.Bounce, attr Attribution) (Applied, error) {
	ap := Applied{Address: b.Email, Kind: b.Kind, Status: b.Status, Reason: b.Reason, Attribution: attr,
		DeliveryID: b.DeliveryID, CampaignID: b.CampaignID}
	br, err := a.cfg.Store.RecordBounce(ctx, b, a.cfg.Policy)
	if err != nil {
		return ap, fmt.Errorf("record %s bounce for %s: %w", b.Kind, b.Email, err)
	}
	ap.SubscriberID, ap.Suppressed, ap.Duplicate, ap.Unknown = br.SubscriberID, br.Suppressed, br.Duplicate, br.Unknown
	ap.Unattributed = br.Unattributed
	if br.Unattributed != "" {
		a.log.WarnContext(ctx, a.msg(msgAddressKept),
			"source", r.Origin, "kind", b.Kind, "reason", br.Unattributed, "duplicate", br.Duplicate)
		return ap, nil
	}
	a.log.InfoContext(ctx, a.msg(msgRecorded), "source", r.Origin, "kind", b.Kind, "subscriber", br.SubscriberID,
		"campaign", b.CampaignID, "delivery", b.DeliveryID, "attribution", attr, "status", b.Status,
		"suppressed", string(br.Suppressed), "duplicate", br.Duplicate, "unknown", br.Unknown)
	return ap, nil
}
