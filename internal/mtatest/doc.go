// Package mtatest runs Debian's Postfix and Dovecot for end-to-end tests,
// on 127.0.0.1 only, under a folder the test owns: a private Postfix
// instance (its own main.cf, master.cf and queue) and a private Dovecot
// (its own dovecot.conf), both stopped when the test ends. Nothing outside
// that folder changes.
//
// It needs root (Postfix's master and Dovecot drop privileges themselves)
// and the packages postfix and dovecot-imapd; a missing package or a
// daemon that does not start fails the test with the reason.
package mtatest
