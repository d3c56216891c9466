package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
)

// withRelayAdvice puts plain advice in front of a connection error whose
// library wording ("first record does not look like a TLS handshake")
// hides a port or TLS mistake in the configuration. Other errors pass
// through unchanged, as does the exit status.
func (a *app) withRelayAdvice(err error) error {
	var ee *exitError
	if err == nil || (errors.As(err, &ee) && ee.err == nil) {
		return err
	}
	advice := relayAdvice(err.Error(), a.relays())
	if advice == "" {
		return err
	}
	if ee != nil {
		return &exitError{code: ee.code, err: fmt.Errorf("%s\n  (%w)", advice, ee.err)}
	}
	return fmt.Errorf("%s\n  (%w)", advice, err)
}

// relayAdvice explains msg, an error from talking to one of relays, in
// terms of the settings that fix it; "" when there is nothing to add.
func relayAdvice(msg string, relays []mailer.Relay) string {
	r, key := blamedRelay(msg, relays)
	if r.Host == "" {
		return ""
	}
	return relayFix(r, key, msg)
}

// relayFix explains msg, an error from talking to relay r whose settings
// are under key.
func relayFix(r mailer.Relay, key, msg string) string {
	addr := fmt.Sprintf("%s:%d", r.Host, r.Port)
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		if r.Port == 465 {
			return fmt.Sprintf("the relay %s answered in plain text, not TLS: port 465 normally expects `%s.tls: tls`; "+
				"check %s.host and %s.port", addr, key, key, key)
		}
		return fmt.Sprintf("port %d expects `%s.tls: starttls`: the relay %s answered in plain text, not with a TLS handshake "+
			"(`%s.tls: tls` is for implicit TLS, usually port 465)", r.Port, key, addr, key)
	case strings.Contains(msg, "does not support STARTTLS"):
		if r.Port == 465 {
			return fmt.Sprintf("port 465 expects `%s.tls: tls` (implicit TLS): the relay %s does not offer STARTTLS", key, addr)
		}
		return fmt.Sprintf("the relay %s does not offer STARTTLS on port %d: use the provider's submission port "+
			"(587 with `%s.tls: starttls`, or 465 with `%s.tls: tls`); only a relay on a trusted network may use `%s.tls: none`",
			addr, r.Port, key, key, key)
	case r.TLS != tlsmode.Implicit && (strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "deadline exceeded") ||
		strings.Contains(msg, "EOF")) && strings.Contains(msg, "connect"):
		// An implicit-TLS port waits for the client's handshake while a
		// plain client waits for the greeting: both time out.
		if r.Port == 465 {
			return fmt.Sprintf("port 465 expects `%s.tls: tls` (implicit TLS): the relay %s sent no greeting, "+
				"as it waits for a TLS handshake first", key, addr)
		}
		return fmt.Sprintf("the relay %s sent no greeting within %s.timeout: if this port expects implicit TLS "+
			"(usually 465), set `%s.tls: tls`; otherwise check %s.host, %s.port and any firewall", addr, key, key, key, key)
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return fmt.Sprintf("the certificate of the relay %s is not signed by an authority this machine trusts: check %s.host; "+
			"for a private relay with a self-signed certificate, set smtp.tls_skip_verify: true", addr, key)
	case strings.Contains(msg, "certificate is valid for"):
		return fmt.Sprintf("the certificate of the relay %s is for another name: set %s.host to the name on the certificate", addr, key)
	case strings.Contains(msg, "connection refused"):
		return fmt.Sprintf("nothing accepts connections at %s: check %s.host and %s.port "+
			"(587 for submission with starttls, 465 with tls, 25 between servers)", addr, key, key)
	case strings.Contains(msg, "no such host"):
		return fmt.Sprintf("the name %s does not resolve: check %s.host", r.Host, key)
	case strings.Contains(msg, "535 ") || strings.Contains(strings.ToLower(msg), "authentication failed"):
		return fmt.Sprintf("the relay %s refused the login: check %s.username and %s.password", addr, key, key)
	}
	return ""
}

// blamedRelay finds the relay an error names, and the configuration key
// its settings come from.
func blamedRelay(msg string, relays []mailer.Relay) (mailer.Relay, string) {
	for i, r := range relays {
		if (r.Name != "" && strings.Contains(msg, r.Name)) || strings.Contains(msg, fmt.Sprintf("%s:%d", r.Host, r.Port)) {
			return r, relayKey(relays, i)
		}
	}
	if len(relays) == 1 {
		return relays[0], "smtp"
	}
	return mailer.Relay{}, ""
}

// relayKey is the configuration key relay i's settings come from.
func relayKey(relays []mailer.Relay, i int) string {
	if len(relays) > 1 || relays[i].Name != "" {
		return fmt.Sprintf("smtp.relays[%d]", i)
	}
	return "smtp"
}
