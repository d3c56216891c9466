package mailer

import (
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/bounce"
)

// notAuthenticatedStatuses are the enhanced codes providers use to say
// the message failed their authentication requirements: Outlook.com's
// 5.7.515 (since May 2025) and 5.7.509 (DMARC), Gmail's 5.7.26 and its
// temporary 4.7.23 (no PTR), 4.7.26 (unauthenticated), 4.7.27 (SPF),
// 4.7.29 (no TLS) and 4.7.30 (DKIM) for bulk senders.
var notAuthenticatedStatuses = map[string]bool{
	"5.7.515": true, "5.7.26": true, "5.7.23": true, "5.7.509": true,
	"4.7.23": true, "4.7.26": true, "4.7.27": true, "4.7.29": true, "4.7.30": true,
}

// notAuthenticated reports whether a refusal or deferral says our mail
// failed the receiver's authentication checks. Then every message to that
// provider will fail the same way, so the campaign pauses at once.
func notAuthenticated(o outcome) bool {
	if o.verdict != vRefused && o.verdict != vTemporary {
		return false
	}
	if notAuthenticatedStatuses[o.status] {
		return true
	}
	return o.verdict == vRefused && o.reason == bounce.ReasonAuthFailure
}

// authRecords names what the sender's DNS must publish for mail from
// these domains: the SPF, DKIM and DMARC TXT records and the relay's PTR.
type authRecords struct {
	envelope, from, dkim string
}

func (s *Sender) authRecords(h headerSet) authRecords {
	r := authRecords{
		envelope: h.bounceAddress[strings.LastIndexByte(h.bounceAddress, '@')+1:],
		from:     h.domain,
		dkim:     "SELECTOR._domainkey." + h.domain,
	}
	if s.cfg.DKIM != nil {
		r.dkim = s.cfg.DKIM.Selector + "._domainkey." + s.cfg.DKIM.Domain
	}
	return r
}

func (r authRecords) spf() string {
	return fmt.Sprintf("the SPF TXT record of %s must list the relay", r.envelope)
}

func (r authRecords) dkimKey() string {
	return fmt.Sprintf("the DKIM TXT record at %s must hold the signing key", r.dkim)
}

func (r authRecords) dmarc() string {
	return fmt.Sprintf("a DMARC TXT record at _dmarc.%s, with SPF or DKIM aligned to %s", r.from, r.from)
}

// authHint says which DNS record to fix for a refusal as not
// authenticated, by the provider's status code.
func (r authRecords) hint(status string) string {
	var fix string
	switch status {
	case "4.7.23":
		fix = "the relay's sending IP has no reverse DNS: its PTR record (set by whoever owns the IP) must name a host whose A record points back to it"
	case "4.7.27", "5.7.23":
		fix = "SPF did not pass: " + r.spf()
	case "4.7.30":
		fix = "DKIM did not pass: " + r.dkimKey()
	case "4.7.29":
		fix = "the message did not arrive over TLS: use TLS to the relay and have the relay deliver with TLS"
	case "5.7.509":
		fix = "DMARC failed: publish " + r.dmarc()
	case "5.7.515":
		fix = "Outlook.com requires SPF, DKIM and DMARC to pass: " + r.spf() + "; " + r.dkimKey() + "; and publish " + r.dmarc()
	default: // Gmail's 5.7.26 and 4.7.26, and replies that say so in words
		fix = "the message passed neither SPF nor DKIM: " + r.dkimKey() + " (or " + r.spf() + "), and publish " + r.dmarc()
	}
	return "the receiving provider refused the message as not authenticated; " + fix +
		". Run `dispatch doctor` to check the records, then resume the campaign. Nothing was held against the recipient"
}
