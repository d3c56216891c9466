package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// mailgunPayload is a Mailgun JSON webhook.
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
type mailgunPayload struct {
	Signature struct {
		// Timestamp is documented as a string; accept a number too.
		Timestamp       json.RawMessage `json:"timestamp"`
		Token           string          `json:"token"`
		Signature       string          `json:"signature"`
		ParentSignature string          `json:"parent-signature"`
	} `json:"signature"`
	EventData json.RawMessage `json:"event-data"`
}

// mailgunEvent is the part of event-data we read.
type mailgunEvent struct {
	ID             string  `json:"id"`
	Timestamp      float64 `json:"timestamp"`
	Event          string  `json:"event"`
	Severity       string  `json:"severity"`
	Reason         string  `json:"reason"`
	Recipient      string  `json:"recipient"`
	DeliveryStatus struct {
		EnhancedCode *string `json:"enhanced-code"` // may be null
		Message      string  `json:"message"`
		Description  string  `json:"description"`
	} `json:"delivery-status"`
	Message struct {
		Headers map[string]json.RawMessage `json:"headers"`
	} `json:"message"`
	UserVariables map[string]json.RawMessage `json:"user-variables"`
}

func (v *Verifier) handleMailgun(_ context.Context, r *http.Request) (Result, error) {
	body, err := v.readBody(r)
	if err != nil {
		return Result{}, err
	}
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Result{}, badRequest("decode payload: %v", err)
	}
	if err := v.verifyMailgun(&p); err != nil {
		return Result{}, err
	}
	if len(p.EventData) == 0 {
		return Result{}, badRequest("no event-data")
	}
	var me mailgunEvent
	if err := json.Unmarshal(p.EventData, &me); err != nil {
		return Result{}, badRequest("decode event-data: %v", err)
	}
	kind, ok := mailgunKind(&me)
	if !ok {
		return Result{}, nil
	}

	e := Event{
		Provider: ProviderMailgun,
		Kind:     kind,
		Email:    me.Recipient,
		Vars:     flatten(me.UserVariables, nil),
		Time:     unixTime(me.Timestamp),
		EventID:  me.ID,
	}
	// A name may come in several spellings ("message-id", "Message-Id");
	// the first one in a fixed order wins, so a retry parses the same.
	for _, name := range slices.Sorted(maps.Keys(me.Message.Headers)) {
		if s, ok := scalarString(me.Message.Headers[name]); ok {
			e.Headers = v.selectHeader(e.Headers, name, s)
		}
	}
	e.MessageID = e.Headers["Message-Id"]
	if kind == KindHard || kind == KindSoft || kind == KindRefused {
		ds := me.DeliveryStatus
		code := ""
		if ds.EnhancedCode != nil {
			code = *ds.EnhancedCode
		}
		e.Status = enhancedStatus(code, ds.Message, ds.Description)
		e.Reason = firstNonEmpty(ds.Message, ds.Description, me.Reason)
		// "suppress-bounce": Mailgun refused because the address bounced
		// before, its own finding about the address.
		e.Kind = judged(kind, e.Status, firstNonEmpty(ds.Message, ds.Description), me.Reason == "suppress-bounce")
	} else {
		e.Reason = me.Event
	}
	return Result{Events: v.add(nil, e)}, nil
}

// verifyMailgun checks the HMAC, then the timestamp, then (optionally) that
// the token is new. The token is remembered only once the HMAC holds, so
// forged requests cannot fill the cache.
func (v *Verifier) verifyMailgun(p *mailgunPayload) error {
	sig := p.Signature
	ts, ok := scalarString(sig.Timestamp)
	if !ok || ts == "" || sig.Token == "" || sig.Signature == "" {
		return unauthorized("missing signature fields")
	}
	mac := hmac.New(sha256.New, []byte(v.cfg.Mailgun.SigningKey))
	mac.Write([]byte(ts))
	mac.Write([]byte(sig.Token))
	want := mac.Sum(nil)
	okSig := hexEqual(sig.Signature, want)
	okParent := sig.ParentSignature != "" && hexEqual(sig.ParentSignature, want)
	if !okSig && !okParent {
		return unauthorized("signature does not match")
	}

	sec, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		return unauthorized("timestamp %q", ts)
	}
	when := unixTime(sec)
	if err := v.checkTime(when); err != nil {
		return err
	}
	if v.cfg.Mailgun.RememberTokens {
		// Keep the token as long as its timestamp passes checkTime; with
		// the check disabled, keep it for DefaultMaxAge.
		keep := v.maxAge
		if keep < 0 {
			keep = DefaultMaxAge
		}
		if !v.tokens.add(sig.Token, when.Add(keep), v.now()) {
			return ErrReplayed
		}
	}
	return nil
}

// hexEqual compares a hex signature with the expected MAC in constant time.
func hexEqual(hexSig string, want []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(hexSig))
	return err == nil && hmac.Equal(got, want)
}

// mailgunKind maps a Mailgun event; ok is false for events to ignore.
// https://documentation.mailgun.com/docs/mailgun/user-manual/events/
func mailgunKind(e *mailgunEvent) (Kind, bool) {
	switch e.Event {
	case "failed":
		switch e.Reason {
		case "suppress-complaint":
			return KindComplaint, true
		case "suppress-unsubscribe":
			return KindUnsubscribe, true
		case "espblock":
			// The receiving provider blocked the sender.
			return KindRefused, true
		case "old":
			// Mailgun gave up after retrying temporary failures: the
			// address kept answering 4xx, which is not proof it is gone.
			return KindSoft, true
		}
		if e.Severity == "permanent" {
			return KindHard, true
		}
		return KindSoft, true
	case "complained":
		return KindComplaint, true
	case "unsubscribed":
		return KindUnsubscribe, true
	}
	// accepted, delivered, opened, clicked, rejected, stored...
	return "", false
}
