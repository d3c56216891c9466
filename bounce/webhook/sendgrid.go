package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SendGrid Signed Event Webhook headers.
// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
const (
	sendgridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendgridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// parseSendGridKey decodes the verification key as SendGrid shows it (base64
// DER SubjectPublicKeyInfo), or PEM.
func parseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("decode base64: %w", err)
		}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("got a %T key, want ECDSA", pub)
	}
	if key.Curve.Params().Name != "P-256" {
		return nil, errors.New("curve is " + key.Curve.Params().Name + ", want P-256")
	}
	return key, nil
}

// sendgridEvent is one element of the Event Webhook's JSON array.
// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
type sendgridEvent struct {
	Email       string  `json:"email"`
	Timestamp   float64 `json:"timestamp"`
	Event       string  `json:"event"`
	Type        string  `json:"type"` // bounce: "bounce" or "blocked"
	Reason      string  `json:"reason"`
	Status      string  `json:"status"`
	Response    string  `json:"response"`
	SMTPID      string  `json:"smtp-id"`
	SGEventID   string  `json:"sg_event_id"`
	SGMessageID string  `json:"sg_message_id"`
}

// sendgridFields are SendGrid's own event properties; every other scalar
// property of an event is a custom (unique) arg.
var sendgridFields = map[string]bool{
	"email": true, "timestamp": true, "event": true, "type": true, "reason": true,
	"status": true, "response": true, "attempt": true, "smtp-id": true,
	"sg_event_id": true, "sg_message_id": true, "category": true,
	"bounce_classification": true, "asm_group_id": true, "ip": true, "tls": true,
	"cert_err": true, "useragent": true, "url": true, "url_offset": true,
	"pool": true, "marketing_campaign_id": true, "marketing_campaign_name": true,
	"marketing_campaign_version": true, "marketing_campaign_split_id": true,
	"post_type": true, "sg_machine_open": true, "sg_content_type": true,
	"sg_template_id": true, "sg_template_name": true, "singlesend_id": true,
	"singlesend_name": true, "template_id": true, "template_version_id": true,
	"send_at": true, "phase_id": true, "mc_stats": true, "newsletter": true,
}

func (v *Verifier) handleSendGrid(_ context.Context, r *http.Request) (Result, error) {
	sig, ts := r.Header.Get(sendgridSignatureHeader), r.Header.Get(sendgridTimestampHeader)
	if sig == "" || ts == "" {
		return Result{}, unauthorized("missing %s or %s", sendgridSignatureHeader, sendgridTimestampHeader)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return Result{}, unauthorized("timestamp header %q", ts)
	}
	if err := v.checkTime(time.Unix(sec, 0)); err != nil {
		return Result{}, err
	}
	body, err := v.readBody(r)
	if err != nil {
		return Result{}, err
	}
	rawSig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return Result{}, unauthorized("signature encoding: %v", err)
	}
	// The signature covers the timestamp header value followed by the raw
	// body, exactly as sent.
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	if !ecdsa.VerifyASN1(v.sendgridKey, h.Sum(nil), rawSig) {
		return Result{}, unauthorized("signature does not match")
	}

	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return Result{}, badRequest("decode events: %v", err)
	}
	var events []Event
	for i, raw := range raws {
		var se sendgridEvent
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &se); err != nil {
			return Result{}, badRequest("decode event %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			return Result{}, badRequest("decode event %d: %v", i, err)
		}
		kind, ok := sendgridKind(&se)
		if !ok {
			continue
		}
		address := se.Event == "dropped" // "Bounced Address", "Invalid": SendGrid's finding
		kind = judged(kind, enhancedStatus(se.Status, se.Reason, se.Response), firstNonEmpty(se.Reason, se.Response), address)
		events = v.add(events, Event{
			Provider:          ProviderSendGrid,
			Kind:              kind,
			Email:             se.Email,
			Status:            enhancedStatus(se.Status, se.Reason, se.Response),
			Reason:            firstNonEmpty(se.Reason, se.Response, se.Event),
			MessageID:         se.SMTPID,
			ProviderMessageID: se.SGMessageID,
			Vars:              flatten(fields, sendgridFields),
			Time:              unixTime(se.Timestamp),
			EventID:           se.SGEventID,
		})
	}
	return Result{Events: events}, nil
}

// sendgridKind maps a SendGrid event; ok is false for events to ignore.
func sendgridKind(e *sendgridEvent) (Kind, bool) {
	switch e.Event {
	case "bounce":
		// "blocked" means the receiving server refused the sender
		// (reputation, content, rate), not the address; "bounce" is
		// permanent, and the reply says whose fault it is (judged).
		if e.Type == "blocked" {
			return KindRefused, true
		}
		return KindHard, true
	case "dropped":
		// SendGrid dropped the message without trying; only the reasons
		// that say something about the address matter. Content, quota and
		// SMTPAPI-header drops are our problem, not the recipient's.
		switch e.Reason {
		case "Bounced Address", "Invalid":
			return KindHard, true
		case "Spam Reporting Address":
			return KindComplaint, true
		case "Unsubscribed Address":
			return KindUnsubscribe, true
		}
	case "spamreport":
		return KindComplaint, true
	case "unsubscribe", "group_unsubscribe":
		return KindUnsubscribe, true
	}
	// processed, deferred (SendGrid retries), delivered, open, click,
	// group_resubscribe, account events...
	return "", false
}
