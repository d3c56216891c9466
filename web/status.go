package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/internal/httpserve"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Errors of the pages that are not the store's.
var (
	errBodyTooLarge = errors.New("request body too large")
	errBadForm      = errors.New("malformed form")
)

// Wording of the neutral pages. None of them names a person or says
// whether an address is known.
const (
	titleInvalid    = "This link doesn’t work"
	titleGone       = "Nothing to unsubscribe"
	titleSuppressed = "We can’t resubscribe this address"
	titleNotFound   = "Page not found"
	titleTooMany    = "Too many requests"
	titleTooLarge   = "Request too large"
	titleBadRequest = "Something is wrong with that request"
	titleError      = "Something went wrong"
	titleCrossSite  = "This request came from another site"
	titleOneClick   = "You’re unsubscribed"
	titleCheckInbox = "Check your inbox"
)

var (
	textInvalid = []string{
		"This unsubscribe link is incomplete or has been changed.",
		"Some email apps break long links across lines. Try copying the whole link from the email into your browser, or use the unsubscribe link in a more recent email.",
	}
	textGone = []string{
		"There is no subscription behind this link any more.",
		"You will not receive emails through it.",
	}
	textNotFound = []string{"There is nothing at this address."}
	textTooMany  = []string{
		"You’ve made a lot of requests in a short time.",
		"Please wait a minute, then try again.",
	}
	textTooLarge   = []string{"The request was larger than this page accepts. Nothing was changed."}
	textBadRequest = []string{"The form could not be read. Nothing was changed; please go back and try again."}
	textOneClick   = []string{"You will not receive these emails any more."}
	// The one answer to every valid address entered in /manage.
	textCheckInbox = []string{
		"If that address receives our emails, we’ve just sent it a link to manage your subscription. It works for 24 hours.",
		"Nothing arrived after a few minutes? Check your spam folder, or try the “Manage your subscription” link at the foot of any of our emails.",
	}
	textCrossSite = []string{
		"Nothing was changed.",
		"To resubscribe, open the unsubscribe link from the email and use the button on that page.",
	}
	textError = []string{
		"Nothing was changed. Please try again in a few minutes.",
	}
)

// fail shows the page for err, the one place page errors become statuses.
// Unexpected errors are logged here, once.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, subscribers.ErrInvalidToken):
		s.message(w, r, http.StatusBadRequest, titleInvalid, textInvalid...)
	case errors.Is(err, subscribers.ErrNotFound):
		// A valid link whose subscriber was removed. Not an error for the
		// person, and a one-click client must not retry: 200.
		s.message(w, r, http.StatusOK, titleGone, textGone...)
	case errors.Is(err, errBodyTooLarge):
		s.message(w, r, http.StatusRequestEntityTooLarge, titleTooLarge, textTooLarge...)
	case errors.Is(err, errBadForm):
		s.message(w, r, http.StatusBadRequest, titleBadRequest, textBadRequest...)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody will read the page.
		s.cfg.Logger.DebugContext(r.Context(), "request canceled", "route", httpserve.Route(r))
		s.message(w, r, http.StatusServiceUnavailable, titleError, textError...)
	default:
		s.cfg.Logger.ErrorContext(r.Context(), "request failed", "route", httpserve.Route(r), "err", err)
		s.message(w, r, http.StatusInternalServerError, titleError, textError...)
	}
}

// webhookStatus maps a Verifier error to the status the provider sees.
// 4xx tells it to give up on the request; 5xx makes it retry.
func webhookStatus(err error, tooLarge bool) int {
	switch {
	case tooLarge || errors.Is(err, webhook.ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, webhook.ErrUnknownProvider):
		return http.StatusNotFound
	case errors.Is(err, webhook.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, webhook.ErrUnauthorized):
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}
