package webhook

import "github.com/dispatchhq/dispatch/bounce"

// judged refines a provider's bounce kind with the classifier the whole
// program shares (bounce.Judge), so a reply gets the same verdict here as at
// send time or in a DSN:
//   - a reply about the sender (its address, domain, authentication, the
//     content or a policy) is KindRefused, whatever the provider calls it;
//   - a provider's "permanent" is a hard bounce only with positive evidence
//     that the address is dead: the reply says so, or the provider's own
//     category is about the address (address is true: SES NoEmail,
//     Postmark HardBounce, SendGrid "Invalid");
//   - anything else is soft.
func judged(k Kind, status, text string, address bool) Kind {
	if k != KindHard && k != KindSoft {
		return k
	}
	v := bounce.Judge(bounce.Reply{Status: status, Text: text})
	switch {
	case v.Blame == bounce.BlameSender:
		return KindRefused
	case k == KindHard && (v.Blame == bounce.BlameRecipient || address):
		return KindHard
	}
	return KindSoft
}
