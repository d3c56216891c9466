// Package capture is the local SMTP server Dispatch runs when no relay is
// configured (dispatch quickstart). It listens on a loopback address,
// accepts every message without authentication and writes each one as an
// .eml file into a folder, so a new user sees exactly what would be sent,
// envelope included.
//
// It owns only that folder's NNNN-*.eml files. It imports go-smtp, the
// standard library and internal/smtpserve (the server lifecycle it shares
// with mailer/smtptest), and must never listen on a non-loopback address:
// it relays nothing and checks nobody. It lives under internal/ because it
// is part of the dispatch command, not an API: it receives mail, so it
// does not belong in mailer, which sends it.
package capture
