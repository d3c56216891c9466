package mailer

import (
	"github.com/dispatchhq/dispatch/bounce"
)

// notAuthenticatedStatuses are the enhanced codes providers use to say
// the message failed their authentication requirements: Outlook.com's
// 5.7.515 (since May 2025), Gmail's 5.7.26 and its temporary 4.7.23
// (no PTR), 4.7.27 (SPF) and 4.7.29 (no TLS, no authentication) for bulk
// senders.
var notAuthenticatedStatuses = map[string]bool{
	"5.7.515": true, "5.7.26": true, "5.7.23": true, "5.7.509": true,
	"4.7.23": true, "4.7.26": true, "4.7.27": true, "4.7.29": true, "4.7.30": true,
}

// doctorHint is what the pause says to do about it.
const doctorHint = "the receiving provider refused the message as not authenticated; " +
	"run `dispatch doctor` to see which DNS record to publish (SPF, DKIM, DMARC), then run the same command to resume. " +
	"Nothing was held against the recipient"

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
