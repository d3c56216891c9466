package webhook

import (
	"encoding/json"
	"strings"
)

// sesNotification covers both SES feedback notifications (notificationType)
// and configuration-set event publishing (eventType); the parts we read are
// the same in both.
// https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
// https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
type sesNotification struct {
	NotificationType string        `json:"notificationType"`
	EventType        string        `json:"eventType"`
	Bounce           *sesBounce    `json:"bounce"`
	Complaint        *sesComplaint `json:"complaint"`
	Mail             struct {
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
}

type sesBounce struct {
	BounceType        string `json:"bounceType"`
	BounceSubType     string `json:"bounceSubType"`
	BouncedRecipients []struct {
		EmailAddress   string `json:"emailAddress"`
		Action         string `json:"action"`
		Status         string `json:"status"`
		DiagnosticCode string `json:"diagnosticCode"`
	} `json:"bouncedRecipients"`
	Timestamp  string `json:"timestamp"`
	FeedbackID string `json:"feedbackId"`
}

type sesComplaint struct {
	ComplainedRecipients []struct {
		EmailAddress string `json:"emailAddress"`
	} `json:"complainedRecipients"`
	Timestamp             string `json:"timestamp"`
	FeedbackID            string `json:"feedbackId"`
	ComplaintFeedbackType string `json:"complaintFeedbackType"`
	ComplaintSubType      string `json:"complaintSubType"`
}

// parseSES maps the Message of a verified SNS notification to events.
// Messages that are not SES notifications (the "Successfully validated SNS
// topic" text SES sends when an event destination is created, or anything
// else published to the topic) yield no events.
func (v *Verifier) parseSES(message, snsMessageID string) ([]Event, error) {
	trimmed := strings.TrimSpace(message)
	if !strings.HasPrefix(trimmed, "{") {
		return nil, nil
	}
	var n sesNotification
	if err := json.Unmarshal([]byte(trimmed), &n); err != nil {
		return nil, badRequest("decode ses notification: %v", err)
	}
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	switch kind {
	case "Bounce":
		if n.Bounce == nil {
			return nil, badRequest("ses bounce without bounce object")
		}
		return v.sesBounceEvents(v.sesBase(n), n.Bounce, snsMessageID), nil
	case "Complaint":
		if n.Complaint == nil {
			return nil, badRequest("ses complaint without complaint object")
		}
		return v.sesComplaintEvents(v.sesBase(n), n.Complaint, snsMessageID), nil
	}
	// Delivery, Send, Reject, Open, Click, DeliveryDelay, Rendering Failure,
	// Subscription: nothing to act on.
	return nil, nil
}

// sesBase is what every event of a notification shares: the message it is
// about, its headers and our tags.
func (v *Verifier) sesBase(n sesNotification) Event {
	base := Event{
		Provider:          ProviderSES,
		ProviderMessageID: n.Mail.MessageID,
		MessageID:         n.Mail.CommonHeaders.MessageID,
	}
	for _, h := range n.Mail.Headers {
		base.Headers = v.selectHeader(base.Headers, h.Name, h.Value)
	}
	if base.MessageID == "" {
		base.MessageID = base.Headers["Message-Id"]
	}
	for name, values := range n.Mail.Tags {
		// SES adds its own ses:* tags (source IP, configuration set...);
		// they are not ours.
		if strings.HasPrefix(name, "ses:") || len(values) == 0 {
			continue
		}
		if base.Vars == nil {
			base.Vars = map[string]string{}
		}
		base.Vars[name] = values[0]
	}
	return base
}

// sesBounceEvents is an event for each bounced recipient.
func (v *Verifier) sesBounceEvents(base Event, b *sesBounce, snsMessageID string) []Event {
	k := KindSoft // Transient and Undetermined
	if b.BounceType == "Permanent" {
		k = KindHard
	}
	switch b.BounceSubType {
	case "ContentRejected", "AttachmentRejected", "MessageTooLarge":
		// About the message, not the address.
		k = KindRefused
	}
	// NoEmail, Suppressed and OnAccountSuppressionList are SES's own
	// findings about the address.
	address := b.BounceType == "Permanent" && b.BounceSubType != "General" && b.BounceSubType != ""
	var events []Event
	for _, rcpt := range b.BouncedRecipients {
		e := base
		e.Email = rcpt.EmailAddress
		e.Status = enhancedStatus(rcpt.Status, rcpt.DiagnosticCode)
		e.Kind = judged(k, e.Status, rcpt.DiagnosticCode, address)
		e.Reason = firstNonEmpty(rcpt.DiagnosticCode, b.BounceType+" "+b.BounceSubType)
		e.Time = parseTime(b.Timestamp)
		e.EventID = firstNonEmpty(b.FeedbackID, snsMessageID)
		e.Recipients = len(b.BouncedRecipients)
		events = v.add(events, e)
	}
	return events
}

// sesComplaintEvents is an event for each complaining recipient.
func (v *Verifier) sesComplaintEvents(base Event, c *sesComplaint, snsMessageID string) []Event {
	// A feedback report saying "not spam" is the opposite of a complaint
	// (RFC 5965 feedback type).
	if c.ComplaintFeedbackType == "not-spam" {
		return nil
	}
	var events []Event
	for _, rcpt := range c.ComplainedRecipients {
		e := base
		e.Kind = KindComplaint
		e.Email = rcpt.EmailAddress
		e.Reason = firstNonEmpty(c.ComplaintFeedbackType, c.ComplaintSubType, "complaint")
		e.Time = parseTime(c.Timestamp)
		e.EventID = firstNonEmpty(c.FeedbackID, snsMessageID)
		e.Recipients = len(c.ComplainedRecipients)
		events = v.add(events, e)
	}
	return events
}
