package bounce

import "strings"

// Blame says whose problem a failure is. It decides what happens to the
// recipient, wherever the failure was reported: an SMTP reply at send time,
// a DSN in the bounce mailbox, or a provider's webhook.
type Blame string

// The blames Judge and Parse report.
const (
	// BlameRecipient: the address itself is dead (no such user, no such
	// domain, null MX, moved). A hard bounce: suppress the address.
	BlameRecipient Blame = "recipient"
	// BlameMailbox: the mailbox exists but cannot or will not take the
	// message now (full, suspended, refused by its owner's filter), or the
	// way to it failed. A soft bounce: suppressed only after repeated ones.
	BlameMailbox Blame = "mailbox"
	// BlameSender: the refusal is about the envelope sender, the sending
	// domain or host, authentication, or the message's content or policy.
	// Never the recipient's bounce: the recipient stays active, and the
	// refusal counts towards pausing the campaign.
	BlameSender Blame = "sender"
	// BlameUnknown: a permanent refusal that says nothing about its cause
	// (reasons onhold and undefined). Not evidence against the address: at
	// send time it counts like a sender refusal; a DSN or webhook that
	// reports one for a recipient counts it as a soft bounce.
	BlameUnknown Blame = "unknown"
)

// reasonBlame is the blame each reason carries. A reason not listed
// (mailboxfull, suspend, filtered, exceedlimit, and the failures on the way:
// systemerror, networkerror, expired, mailererror, ...) blames the mailbox: the failure happened on the way to this recipient and
// proves nothing about the address.
//
// The whole decision, in order (this is the table the issue asks for):
//  1. Sender wording (senderWords, the reply naming the envelope sender)
//     or a refused MAIL FROM: the sender, whatever the code says
//     (decideReason → ReasonRejected unless a more precise sender reason
//     such as authfailure or blocked applies).
//  2. Wording only a recipient lookup produces (definiteUserUnknown).
//  3. The RFC 3463 status: class (2/4/5), subject and detail in
//     statusReasons; x.1.0 and x.0.0 say nothing and leave it to the words.
//  4. Reply-text phrases per reason (phrases), tried in probeOrder with the
//     SMTP command; then the wording alone (fallbackOrder).
//  5. The reason's blame below; hard means BlameRecipient (plus a suspended
//     mailbox that is closed for good).
var reasonBlame = map[Reason]Blame{
	ReasonUserUnknown: BlameRecipient,
	ReasonHostUnknown: BlameRecipient,
	ReasonHasMoved:    BlameRecipient,
	ReasonNotAccept:   BlameRecipient,

	ReasonRejected:        BlameSender,
	ReasonBlocked:         BlameSender,
	ReasonSpamDetected:    BlameSender,
	ReasonVirusDetected:   BlameSender,
	ReasonPolicyViolation: BlameSender,
	ReasonAuthFailure:     BlameSender,
	ReasonRequirePTR:      BlameSender,
	ReasonBadReputation:   BlameSender,
	ReasonNoRelaying:      BlameSender,
	ReasonSecurityError:   BlameSender,
	ReasonContentError:    BlameSender,
	ReasonNotCompliantRFC: BlameSender,
	ReasonMesgTooBig:      BlameSender,
	ReasonSyntaxError:     BlameSender,
	ReasonTooManyConn:     BlameSender,
	ReasonSpeeding:        BlameSender,
	ReasonSuppressed:      BlameSender,

	ReasonOnHold:    BlameUnknown,
	ReasonUndefined: BlameUnknown,
}

// BlameOf returns the blame a reason carries (see reasonBlame).
func BlameOf(reason Reason) Blame {
	if b, ok := reasonBlame[reason]; ok {
		return b
	}
	return BlameMailbox
}

// senderWords are wordings about the envelope sender or the sending
// domain: whatever else the reply says ("Sender address rejected: User
// unknown in local recipient table" is Postfix refusing the sender), the
// recipient is not at fault.
var senderWords = []string{
	"sender address rejected", "sender address is rejected", "sender rejected", "sender was rejected",
	"sender denied", "sender verify failed", "sender verification failed", "sender address invalid",
	"invalid sender", "sender domain", "sender's domain", "domain of sender address", "unroutable sender",
	"envelope sender", "envelope-from", "envelope from", "mail from not owned", "not owned by user",
	"sender email address rejected", "sender is not allowed", "sender not allowed", "sender unknown",
	"unknown sender", "sender address has been", "bogus mail from", "(in reply to mail from",
	"in reply to mail from command",
}

// senderBlamed reports whether a failure is about the sender by its
// wording, its command, or because the text names the envelope sender.
func senderBlamed(c cause) bool {
	if c.command == "MAIL" || has(ruleSender, c.found) {
		return true
	}
	return c.sender != "" && strings.Contains(c.text, c.sender)
}

// Reply is one refusal, however it arrived: an SMTP reply at send time, a
// DSN's diagnostic, or a provider's report.
type Reply struct {
	Code    string // SMTP reply code ("550"), "" if unknown
	Status  string // RFC 3463 enhanced status ("5.1.1"), "" if unknown
	Text    string // the server's words
	Command string // SMTP command refused: MAIL, RCPT, DATA; "" if unknown
	// Sender is the envelope sender (MAIL FROM) of the refused message, if
	// known: a reply that names it is about the sender.
	Sender string
	// Delayed marks a report that delivery is still being tried (RFC 3464
	// action "delayed").
	Delayed bool
}

// Verdict is what a refusal means.
type Verdict struct {
	Status string // the RFC 3463 status, derived from the reason when the reply had none
	Reason Reason // a Reason* constant
	Blame  Blame
	Hard   bool // the address is dead: never mail it again (Blame is BlameRecipient)
}

// Judge decides what a refusal means, by the same rules Parse applies to
// each recipient of a bounce message, so one reply gets one verdict
// wherever it arrives.
func Judge(r Reply) Verdict {
	f := fact{status: strings.TrimSpace(r.Status), reply: strings.TrimSpace(r.Code), diag: r.Text,
		command: strings.ToUpper(strings.TrimSpace(r.Command)), sender: lowerASCII(strings.Trim(r.Sender, "<> "))}
	if r.Delayed {
		f.action = "delayed"
	}
	rc := f.finish()
	return Verdict{Status: rc.Status, Reason: rc.Reason, Blame: rc.Blame, Hard: rc.Hard}
}
