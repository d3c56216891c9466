// Package capture is the local SMTP server Dispatch runs when no relay is
// configured (dispatch quickstart). It listens on a loopback address,
// accepts every message without authentication and writes each one as an
// .eml file into a folder, so a new user sees exactly what would be sent,
// envelope included.
//
// It owns only that folder's NNNN-*.eml files. It imports go-smtp and the
// standard library, no other Dispatch package, and must never listen on a
// non-loopback address: it relays nothing and checks nobody.
package capture
