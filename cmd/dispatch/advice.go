package main

import (
	"errors"
	"strings"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// settingAdvice names, for each error a library reports in its own terms,
// the configuration keys that fix it. Libraries never read the
// configuration, so this is the one place that knows both.
var settingAdvice = []struct {
	err    error
	advice string
}{
	{mailer.ErrNoRelay, "set smtp.host"},
	{mailer.ErrNoFrom, "set sender.from or from: in the issue"},
	{mailer.ErrNoTokens, "set web.secret"},
	{mailer.ErrNoBaseURL, "set web.base_url"},
	{mailer.ErrCleartextAuth, "set smtp.tls to starttls or tls, or, only on a network you trust, set smtp.allow_insecure_auth: true"},
	{subscribers.ErrShortSecret, "set web.secret"},
	{mailer.ErrUnreachable, "check smtp.host, smtp.port, smtp.tls and the credentials, then run the same command again"},
}

// templateSettings maps templates.Config fields to configuration keys.
var templateSettings = map[string]string{
	"PostalAddress": "sender.postal_address",
}

// advised is a library error with the settings that fix it.
type advised struct {
	err    error
	advice []string
}

func (e *advised) Error() string { return e.err.Error() + " (" + strings.Join(e.advice, "; ") + ")" }
func (e *advised) Unwrap() error { return e.err }

// advise adds to err the configuration keys that fix the library errors it
// wraps; an error no advice fits comes back as it is.
func advise(err error) error {
	if err == nil {
		return nil
	}
	var advice []string
	for _, a := range settingAdvice {
		if errors.Is(err, a.err) {
			advice = append(advice, a.advice)
		}
	}
	if advice == nil {
		return err
	}
	return &advised{err: err, advice: advice}
}

// checkLine formats a templates check for the terminal, naming the
// configuration key of a finding about a setting.
func checkLine(c templates.Check) string {
	if key, ok := templateSettings[c.Setting]; ok {
		c.Message += " (set " + key + ")"
	}
	return c.String()
}
