package subscribers

import (
	"context"
	"fmt"
	"strings"
)

// DeliveryResolver attributes provider webhook events to deliveries from
// the signed token Dispatch puts in X-Dispatch-Delivery and the Message-ID.
type DeliveryResolver struct {
	Store  DeliveryFinder
	Tokens *Tokens
}

// DeliveryFinder looks up a delivery and its campaign by id.
type DeliveryFinder interface {
	FindDelivery(ctx context.Context, id int64) (*Delivery, error)
	FindCampaignByID(ctx context.Context, id int64) (*Campaign, error)
}

// ResolveDelivery returns the subscriber, campaign and list of the delivery
// that deliveryToken (or, failing that, messageID) names, or ErrNotFound.
func (r DeliveryResolver) ResolveDelivery(ctx context.Context, deliveryToken, messageID string) (int64, int64, int64, error) {
	for _, ref := range []string{deliveryToken, messageID} {
		if strings.TrimSpace(ref) == "" {
			continue
		}
		id, err := r.Tokens.ParseMessageID(ref)
		if err != nil {
			continue
		}
		d, err := r.Store.FindDelivery(ctx, id)
		if err != nil {
			return 0, 0, 0, err
		}
		c, err := r.Store.FindCampaignByID(ctx, d.CampaignID)
		if err != nil {
			return 0, 0, 0, err
		}
		return d.SubscriberID, d.CampaignID, c.ListID, nil
	}
	return 0, 0, 0, fmt.Errorf("delivery for %q / %q: %w", deliveryToken, messageID, ErrNotFound)
}
