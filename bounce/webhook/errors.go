package webhook

import (
	"errors"
	"fmt"
)

// Sentinel errors. Handle wraps one of them with detail; test with errors.Is.
// Any other error is internal or a failed outbound fetch, and the provider
// should retry.
var (
	// ErrUnauthorized: the signature, secret, certificate, topic or
	// timestamp did not check out.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrBadRequest: the body is missing, too large or not the provider's
	// format.
	ErrBadRequest = errors.New("bad request")
	// ErrUnknownProvider: the provider name is not one of the Provider
	// constants or the provider is not configured.
	ErrUnknownProvider = errors.New("unknown or unconfigured provider")

	// ErrBodyTooLarge is an ErrBadRequest: the body exceeds MaxBodyBytes.
	ErrBodyTooLarge = fmt.Errorf("%w: body too large", ErrBadRequest)
	// ErrStale is an ErrUnauthorized: the signed timestamp is further than
	// MaxAge from now.
	ErrStale = fmt.Errorf("%w: timestamp outside the allowed window", ErrUnauthorized)
	// ErrReplayed is an ErrUnauthorized: a Mailgun token was seen before.
	ErrReplayed = fmt.Errorf("%w: token already used", ErrUnauthorized)
)

func unauthorized(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, fmt.Sprintf(format, args...))
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}
