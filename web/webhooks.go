package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/subscribers"
)

// reasonProviderUnsubscribe is the event reason of a provider unsubscribe.
const reasonProviderUnsubscribe = "provider unsubscribe"

// handleWebhook verifies a provider webhook and applies its events. A
// store error answers 500 so that the provider retries; the events applied
// before it are not applied twice, because bounces carry an idempotency key
// and unsubscribing is idempotent.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	res, err := s.cfg.Webhooks.Handle(r.Context(), provider, r)
	if err != nil {
		status := webhookStatus(err, bodyTooLarge(r))
		if status >= 500 {
			s.cfg.Logger.ErrorContext(r.Context(), "webhook failed", "provider", provider, "err", err)
		} else {
			s.cfg.Logger.WarnContext(r.Context(), "webhook rejected", "provider", provider, "status", status, "err", err)
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	if sub := res.Subscription; sub != nil {
		if sub.Type == webhook.SNSSubscriptionConfirmation && !sub.Confirmed {
			s.cfg.Logger.WarnContext(r.Context(), "confirm the SNS subscription by visiting its SubscribeURL",
				"topic", sub.TopicARN, "url", sub.SubscribeURL)
		} else {
			s.cfg.Logger.InfoContext(r.Context(), "SNS subscription message", "type", sub.Type, "topic", sub.TopicARN, "confirmed", sub.Confirmed)
		}
	}
	for _, e := range res.Events {
		if err := s.applyEvent(r.Context(), e); err != nil {
			s.cfg.Logger.ErrorContext(r.Context(), "apply webhook event", "provider", provider, "kind", e.Kind, "event", e.EventID, "err", err)
			http.Error(w, "try again later", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// applyEvent records one bounce or complaint, or applies one unsubscribe.
//
// A bounce or complaint goes the one way every bounce goes (package
// bounce/apply): one that a verified delivery token (our
// X-Dispatch-Delivery header or variable, or the signed Message-ID the
// provider echoes) ties to a delivery applies to that delivery's
// subscriber; one tied to none carries only an address, and applies only
// if that address was mailed within bounces.address_match_window and the
// notification names few recipients; otherwise it is recorded as
// unattributed, changing no one. A provider unsubscribe is the person's own
// request relayed by a provider whose signature was checked, and can be
// undone by resubscribing; it is applied by address when no delivery
// explains it.
func (s *Server) applyEvent(ctx context.Context, e webhook.Event) error {
	source := "webhook:" + e.Provider
	origin := e.Provider
	if e.EventID != "" {
		origin += " event " + e.EventID
	}
	switch e.Kind {
	case webhook.KindHard, webhook.KindSoft, webhook.KindComplaint, webhook.KindRefused:
		// KindRefused is a refusal about us (sender, authentication,
		// content, policy): the recipient did nothing wrong, and the
		// applier records nothing against them.
		_, err := s.bounces.Apply(ctx, apply.Report{
			Source: source,
			Origin: origin,
			Key:    eventKey(e),
			Refs:   eventRefs(e),
			Recipients: []apply.Recipient{{Address: e.Email, Kind: bounceKind(e.Kind), Status: e.Status, Reason: e.Reason,
				Refused: e.Kind == webhook.KindRefused}},
			Named:  e.Recipients,
			Detail: func() string { return e.Reason },
		})
		return err
	case webhook.KindUnsubscribe:
		return s.providerUnsubscribe(ctx, e, source, origin)
	}
	return nil
}

// providerUnsubscribe unsubscribes the delivery's subscriber from the
// delivery's list, or, with no delivery, the address from every list.
func (s *Server) providerUnsubscribe(ctx context.Context, e webhook.Event, source, origin string) error {
	d, _, err := s.bounces.Attribute(ctx, eventRefs(e), origin)
	if err != nil {
		return err
	}
	var subID, campaignID, listID int64
	if d != nil {
		subID, campaignID = d.SubscriberID, d.CampaignID
		c, err := s.cfg.Store.FindCampaignByID(ctx, d.CampaignID)
		switch {
		case err == nil:
			listID = c.ListID
		case !errors.Is(err, subscribers.ErrNotFound):
			return fmt.Errorf("find campaign %d: %w", d.CampaignID, err)
		}
	}
	if subID == 0 {
		sub, err := s.cfg.Store.FindSubscriberByEmail(ctx, e.Email)
		if errors.Is(err, subscribers.ErrNotFound) {
			s.cfg.Logger.InfoContext(ctx, "webhook unsubscribe for an unknown address", "provider", e.Provider)
			return nil
		}
		if err != nil {
			return err
		}
		subID = sub.ID
	}
	if err := s.cfg.Store.Unsubscribe(ctx, subID, listID, campaignID, source, reasonProviderUnsubscribe); err != nil {
		return fmt.Errorf("unsubscribe subscriber %d: %w", subID, err)
	}
	s.cfg.Logger.InfoContext(ctx, "webhook unsubscribe", "provider", e.Provider,
		"subscriber", subID, "list", listID, "campaign", campaignID)
	return nil
}

// eventRefs lists where an event may carry a delivery token: the
// X-Dispatch-Delivery header or variable, then the Message-ID.
func eventRefs(e webhook.Event) []apply.Ref {
	return []apply.Ref{
		{Token: e.DeliveryID, Attr: apply.AttrHeader, Where: "x-dispatch-delivery"},
		apply.MessageIDRef(e.MessageID, "message-id"),
	}
}

func bounceKind(k webhook.Kind) subscribers.BounceKind {
	switch k {
	case webhook.KindHard:
		return subscribers.BounceHard
	case webhook.KindComplaint:
		return subscribers.BounceComplaint
	}
	return subscribers.BounceSoft
}

// eventKey makes a provider's retry of the same notification a no-op; the
// applier adds each recipient's address, since one notification may list
// several recipients under one event id. Without an event id, the
// provider's message id and the kind stand in, and without that a hash of
// the request body and the event's place in it (a retry resends the same
// body).
func eventKey(e webhook.Event) string {
	id := e.EventID
	if id == "" && e.ProviderMessageID != "" {
		id = "msg:" + e.ProviderMessageID + ":" + string(e.Kind)
	}
	if id == "" && e.BodyKey != "" {
		id = "body:" + e.BodyKey
	}
	if id == "" {
		return ""
	}
	return "webhook:" + e.Provider + ":" + id
}
