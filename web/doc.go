// Package web is the public HTTP server of `dispatch serve`: the per-recipient
// unsubscribe pages (GET and POST /u/{token}, including RFC 8058 one-click),
// the way back for a person who left (POST /u/{token}/resubscribe), the
// archive of sent issues (/archive/...: web versions, and the index and Atom
// feed of public lists), the preference centre (/manage/{token}, and /manage,
// which mails a fresh link through MailQueue), the subscribe forms of public
// lists (GET and POST /subscribe/{list}, and the confirmation link, GET and
// POST /subscribe/confirm/{token}, mailed through MailQueue and rendered by
// package web/pagemail in `dispatch serve`), provider bounce webhooks
// (POST /webhooks/{provider}) and a health check (GET /healthz).
//
// Rules the package keeps:
//
//   - GET never changes anything: mail scanners prefetch every link in a
//     message, so only a POST unsubscribes.
//   - A page reveals no more than the link already names: addresses are
//     masked (a•••@example.com), a bad link says nothing about anyone, and
//     tokens are never written to the access log.
//   - No cookies, no JavaScript, no redirects; every page works in a text
//     browser and on a phone. A strict Content-Security-Policy allows only the
//     one inline stylesheet, by hash.
//   - Errors become statuses in one place (status.go); internal errors are
//     logged once, with the request, and shown as a neutral page.
//
// The package reaches the database through the small Store interface (which
// *sqlite.Store satisfies) and provider webhooks through
// bounce/webhook. It must not import mailer, templates or cmd: links are
// shared with the mailer only through UnsubscribeURL and subscribers.Tokens;
// web versions are rendered by the IssueRenderer the command wires, and mail
// is sent by the MailSender it wires.
package web
