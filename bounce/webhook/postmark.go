package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// postmarkRecord covers the Bounce, SpamComplaint and SubscriptionChange
// webhooks, which share RecordType and most fields.
// https://postmarkapp.com/developer/webhooks/bounce-webhook
// https://postmarkapp.com/developer/webhooks/spam-complaint-webhook
// https://postmarkapp.com/developer/webhooks/subscription-change-webhook
type postmarkRecord struct {
	RecordType  string                     `json:"RecordType"`
	ID          int64                      `json:"ID"`
	Type        string                     `json:"Type"`
	MessageID   string                     `json:"MessageID"` // Postmark's own id
	Email       string                     `json:"Email"`
	Description string                     `json:"Description"`
	Details     string                     `json:"Details"`
	BouncedAt   string                     `json:"BouncedAt"`
	Metadata    map[string]json.RawMessage `json:"Metadata"`

	// SubscriptionChange
	Recipient         string `json:"Recipient"`
	ChangedAt         string `json:"ChangedAt"`
	SuppressSending   bool   `json:"SuppressSending"`
	SuppressionReason string `json:"SuppressionReason"`
}

// postmarkBounceKinds maps bounce Type names. Types not listed
// (AutoResponder, AddressChange, Subscribe, SpamNotification,
// VirusNotification, ChallengeVerification, OpenRelayTest, SMTPApiError,
// InboundError, DMARCPolicy, TemplateRenderingFailed, Unconfirmed) say
// nothing actionable about the address.
// https://postmarkapp.com/developer/api/bounce-api#bounce-types
var postmarkBounceKinds = map[string]Kind{
	"HardBounce":          KindHard,
	"BadEmailAddress":     KindHard,
	"ManuallyDeactivated": KindHard,
	"SoftBounce":          KindSoft,
	"Transient":           KindSoft,
	"DnsError":            KindSoft,
	"Blocked":             KindRefused, // the receiving server blocked the sender or content
	"DMARCPolicy":         KindRefused,
	"Unknown":             KindSoft,
	"SpamComplaint":       KindComplaint,
	"Unsubscribe":         KindUnsubscribe,
}

// authPostmark checks every credential that is configured: basic auth and
// the token header. Both checks always run, so timing says nothing about
// which one failed.
func (v *Verifier) authPostmark(r *http.Request) error {
	cfg := v.cfg.Postmark
	ok := true
	if cfg.Username != "" {
		user, pass, _ := r.BasicAuth()
		userOK := secretEqual(user, cfg.Username)
		passOK := secretEqual(pass, cfg.Password)
		ok = userOK && passOK
	}
	if cfg.Token != "" {
		tokenOK := secretEqual(r.Header.Get(cfg.TokenHeader), cfg.Token)
		ok = ok && tokenOK
	}
	if !ok {
		return unauthorized("credentials do not match")
	}
	return nil
}

func (v *Verifier) handlePostmark(_ context.Context, r *http.Request) (Result, error) {
	if err := v.authPostmark(r); err != nil {
		return Result{}, err
	}
	body, err := v.readBody(r)
	if err != nil {
		return Result{}, err
	}
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return Result{}, badRequest("decode record: %v", err)
	}

	e := Event{
		Provider:          ProviderPostmark,
		ProviderMessageID: rec.MessageID,
		Vars:              flatten(rec.Metadata, nil),
	}
	if rec.ID != 0 {
		e.EventID = strconv.FormatInt(rec.ID, 10)
	}
	switch rec.RecordType {
	case "Bounce", "SpamComplaint":
		kind, ok := postmarkBounceKinds[rec.Type]
		if rec.RecordType == "SpamComplaint" {
			kind, ok = KindComplaint, true
		}
		if !ok {
			return Result{}, nil
		}
		e.Email = rec.Email
		e.Status = enhancedStatus("", rec.Details)
		// Postmark's address categories are its finding about the address.
		e.Kind = judged(kind, e.Status, rec.Details, kind == KindHard)
		e.Reason = firstNonEmpty(rec.Details, rec.Description, rec.Type)
		e.Time = parseTime(rec.BouncedAt)
	case "SubscriptionChange":
		// SuppressSending false is a reactivation: nothing to suppress.
		if !rec.SuppressSending {
			return Result{}, nil
		}
		switch rec.SuppressionReason {
		case "HardBounce":
			e.Kind = KindHard
		case "SpamComplaint":
			e.Kind = KindComplaint
		case "ManualSuppression": // unsubscribe link, List-Unsubscribe, or by hand
			e.Kind = KindUnsubscribe
		default:
			return Result{}, nil
		}
		e.Email = rec.Recipient
		e.Reason = rec.SuppressionReason
		e.Time = parseTime(rec.ChangedAt)
	default: // Delivery, Open, Click, Inbound...
		return Result{}, nil
	}
	return Result{Events: v.add(nil, e)}, nil
}
