// Package smtptest runs a real, scriptable SMTP server on 127.0.0.1 for tests
// and benchmarks, in the spirit of net/http/httptest.
//
// A Server records every accepted message and can be scripted to refuse
// MAIL FROM, RCPT TO or the end of DATA with a chosen reply
// ("550 5.1.1 user unknown"), to drop the TCP connection, to close each
// connection after n messages, or to answer slowly. It can go down and come
// back (Down, Up: connections refused and reset, as in a relay outage) or
// greet with 421 (SetUnavailable). It can require AUTH PLAIN,
// offer STARTTLS or listen with implicit TLS, using a self-signed certificate
// that clients trust through [Server.RootCAs].
//
// [RawClient] is a bare SMTP client with no MIME or rendering work, used to
// measure the ceiling a sender could reach on a machine.
//
// The package builds on github.com/emersion/go-smtp, the standard library
// and internal/smtpserve, the server lifecycle it shares with the capture
// server. Production code must not import it: it imports package testing.
package smtptest
