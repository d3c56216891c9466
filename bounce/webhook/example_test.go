package webhook_test

import (
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/dispatchhq/dispatch/bounce/webhook"
)

// The HTTP handler of `dispatch serve` verifies, applies the events and maps
// errors to statuses in one place.
func ExampleVerifier_Handle() {
	v, err := webhook.New(webhook.Config{
		SES:      webhook.SESConfig{Enabled: true, AutoConfirm: true, TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:bounces"}},
		SendGrid: webhook.SendGridConfig{PublicKey: ""}, // the dashboard's verification key; empty disables SendGrid
		Mailgun:  webhook.MailgunConfig{SigningKey: "key-from-dashboard", RememberTokens: true},
		MaxAge:   10 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{provider}", func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Handle(r.Context(), r.PathValue("provider"), r)
		switch {
		case err == nil:
		case errors.Is(err, webhook.ErrUnknownProvider):
			http.Error(w, "not found", http.StatusNotFound)
			return
		case errors.Is(err, webhook.ErrBadRequest):
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		case errors.Is(err, webhook.ErrUnauthorized):
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		default: // the provider will retry
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		if s := res.Subscription; s != nil && !s.Confirmed && s.Type == webhook.SNSSubscriptionConfirmation {
			log.Printf("confirm SNS subscription to %s: %s", s.TopicARN, s.SubscribeURL)
		}
		for _, e := range res.Events {
			// store.RecordBounce(ctx, e.DeliveryID, e.Email, e.Kind, ...)
			log.Printf("%s %s %s delivery=%s", e.Provider, e.Kind, e.Email, e.DeliveryID)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	_ = &http.Server{Addr: "127.0.0.1:8080", Handler: mux}
}
