// Package webhook verifies and parses the bounce and complaint webhooks of
// the email providers Dispatch can relay through: Amazon SES (via SNS),
// SendGrid, Postmark and Mailgun.
//
// A Verifier checks each request's signature or shared secret, rejects stale
// or replayed requests, and maps the provider's events onto one Event type.
// It knows nothing about subscribers or the database: the caller (the HTTP
// handler of `dispatch serve`) applies the events, and maps the sentinel
// errors to HTTP statuses in one place:
//
//	ErrUnknownProvider → 404, ErrBadRequest → 400 (ErrBodyTooLarge → 413 if
//	wanted), ErrUnauthorized → 401, anything else → 500 (providers retry).
//
// What is verified, per provider:
//
//   - SES/SNS: the RSA signature (SignatureVersion 1 = SHA1withRSA,
//     2 = SHA256withRSA) over the documented canonical string, with the
//     signing certificate fetched only from https://sns.<region>.amazonaws.com
//     (or .amazonaws.com.cn); the TopicArn against an allow-list; the
//     message Timestamp against MaxAge. Raw message delivery must be off:
//     a raw SES payload carries no signature and is rejected.
//   - SendGrid: the ECDSA P-256 signature of the Signed Event Webhook over
//     timestamp+body, and the timestamp against MaxAge.
//   - Postmark: Postmark signs nothing, so we check what the webhook URL or
//     its custom headers carry: HTTP basic auth and/or a secret header token.
//     Neither proves freshness; use HTTPS.
//   - Mailgun: HMAC-SHA256(signing key, timestamp+token) and the timestamp
//     against MaxAge; optionally each token is accepted once. Mailgun's
//     signature does not cover event-data, so a captured signature can be
//     replayed with other event data within MaxAge unless tokens are
//     remembered.
//
// Secrets are compared in constant time. Bodies are read up to
// Config.MaxBodyBytes. Unknown event types are ignored, not errors, and so
// are events that name no recipient.
//
// The package imports only the standard library and nothing else of
// Dispatch.
package webhook
