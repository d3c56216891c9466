package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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

// attribution is who and what a provider event is about, when known.
type attribution struct {
	subscriberID, campaignID, listID int64
}

// attribute asks the resolver which delivery the event is about. Without a
// resolver, ids or an answer, the event is matched by its address alone.
func (s *Server) attribute(ctx context.Context, e webhook.Event) attribution {
	if s.cfg.Resolver == nil || (e.DeliveryID == "" && e.MessageID == "") {
		return attribution{}
	}
	sub, camp, list, err := s.cfg.Resolver.ResolveDelivery(ctx, e.DeliveryID, e.MessageID)
	if err != nil {
		if !errors.Is(err, subscribers.ErrNotFound) {
			s.cfg.Logger.WarnContext(ctx, "resolve delivery; matching by address instead",
				"provider", e.Provider, "delivery", e.DeliveryID, "message_id", e.MessageID, "err", err)
		}
		return attribution{}
	}
	if sub == 0 {
		return attribution{}
	}
	return attribution{subscriberID: sub, campaignID: camp, listID: list}
}

// applyEvent records one bounce or complaint, or applies one unsubscribe.
//
// A bounce or complaint the resolver ties to a delivery (our
// X-Dispatch-Delivery header or variable, or the signed Message-ID the
// provider echoes) applies to that delivery's subscriber. One tied to none
// carries only an address: the store applies it only if that address was
// mailed within bounces.address_match_window and the notification names
// few recipients, and otherwise records it as unattributed, changing no
// one. A provider unsubscribe is the person's own request relayed by a
// provider whose signature was checked, and can be undone by resubscribing;
// it is applied by address.
func (s *Server) applyEvent(ctx context.Context, e webhook.Event) error {
	a := s.attribute(ctx, e)
	source := "webhook:" + e.Provider
	switch e.Kind {
	case webhook.KindHard, webhook.KindSoft, webhook.KindComplaint:
		b := subscribers.Bounce{
			SubscriberID:     a.subscriberID,
			Email:            e.Email,
			CampaignID:       a.campaignID,
			Kind:             bounceKind(e.Kind),
			Status:           e.Status,
			Reason:           e.Reason,
			Source:           source,
			Key:              eventKey(e),
			ReportRecipients: e.Recipients,
		}
		if a.subscriberID != 0 {
			b.DeliveryID = numericID(e.DeliveryID)
		}
		res, err := s.cfg.Store.RecordBounce(ctx, b, s.cfg.BouncePolicy)
		if err != nil {
			return fmt.Errorf("record %s bounce: %w", e.Kind, err)
		}
		if res.Unattributed != "" {
			s.cfg.Logger.WarnContext(ctx, "webhook event tied to no delivery; recorded as unattributed, nothing changed",
				"provider", e.Provider, "kind", e.Kind, "event", e.EventID, "reason", res.Unattributed, "duplicate", res.Duplicate)
			return nil
		}
		s.cfg.Logger.InfoContext(ctx, "webhook bounce", "provider", e.Provider, "kind", e.Kind,
			"subscriber", res.SubscriberID, "campaign", a.campaignID, "duplicate", res.Duplicate,
			"unknown", res.Unknown, "suppressed", string(res.Suppressed))
		return nil
	case webhook.KindRefused:
		// The provider reports a refusal about us (sender, authentication,
		// content, policy): the recipient did nothing wrong.
		s.cfg.Logger.WarnContext(ctx, "webhook: refused for a reason about the sender; nothing recorded against the recipient",
			"provider", e.Provider, "status", e.Status, "reason", e.Reason, "campaign", a.campaignID)
		return nil
	case webhook.KindUnsubscribe:
		subID := a.subscriberID
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
		if err := s.cfg.Store.Unsubscribe(ctx, subID, a.listID, a.campaignID, source, reasonProviderUnsubscribe); err != nil {
			return fmt.Errorf("unsubscribe subscriber %d: %w", subID, err)
		}
		s.cfg.Logger.InfoContext(ctx, "webhook unsubscribe", "provider", e.Provider,
			"subscriber", subID, "list", a.listID, "campaign", a.campaignID)
		return nil
	}
	return nil
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

// eventKey makes a provider's retry of the same notification a no-op. One
// notification may list several recipients under one event id, hence the
// address. Without an event id, the provider's message id and the kind
// stand in, and without that a hash of the request body and the event's
// place in it (a retry resends the same body).
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
	return "webhook:" + e.Provider + ":" + id + ":" + strings.ToLower(strings.TrimSpace(e.Email))
}

// numericID parses a delivery id that is a plain number; anything else
// (a token the resolver understands) gives 0.
func numericID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
