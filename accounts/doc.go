// Package accounts owns the console's admin accounts and their sessions:
// password hashing (argon2id), TOTP second factors and recovery codes,
// session ids, and the operations the `dispatch users` commands and the
// console share (Service). It knows no SQL: a Store (implemented by the
// database package) keeps users and sessions. It imports nothing of
// Dispatch's, only the standard library, golang.org/x/crypto and
// github.com/pquerna/otp.
package accounts
