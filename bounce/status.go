package bounce

import "strings"

// statusReasons names the reason each RFC 3463 / IANA status code stands
// for. Codes too generic to say (x.0.0, 4.4.0, 5.5.0, 5.7.0 with no text...)
// are absent, and so is x.1.0 ("other address status"), which servers use
// for the sender as much as for the recipient: the words decide. The choices follow the registry's descriptions, read the way
// Sisimai reads them so results stay comparable: "mailbox disabled" (x.2.1)
// is a filter, "delivery not authorized" (5.7.1) a security refusal.
var statusReasons = map[string]Reason{
	"4.1.6": ReasonHasMoved, "4.1.7": ReasonRejected, "4.1.8": ReasonRejected, "4.1.9": ReasonSystemError,
	"4.2.1": ReasonBlocked, "4.2.2": ReasonMailboxFull, "4.2.3": ReasonExceedLimit, "4.2.4": ReasonFiltered,
	"4.3.1": ReasonSystemFull, "4.3.2": ReasonNotAccept, "4.3.3": ReasonSystemError, "4.3.5": ReasonSystemError,
	"4.4.1": ReasonExpired, "4.4.2": ReasonNetworkError, "4.4.3": ReasonSystemError, "4.4.4": ReasonNetworkError,
	"4.4.5": ReasonSystemFull, "4.4.6": ReasonNetworkError, "4.4.7": ReasonExpired, "4.4.8": ReasonNetworkError,
	"4.5.3": ReasonSystemError, "4.5.5": ReasonSystemError,
	"4.6.0": ReasonContentError, "4.6.2": ReasonContentError, "4.6.5": ReasonContentError,
	"4.7.1": ReasonBlocked, "4.7.2": ReasonBlocked, "4.7.5": ReasonSecurityError, "4.7.6": ReasonSecurityError,
	"4.7.7": ReasonSecurityError, "4.7.12": ReasonSecurityError, "4.7.15": ReasonSecurityError,
	"4.7.16": ReasonMesgTooBig, "4.7.24": ReasonAuthFailure, "4.7.25": ReasonRequirePTR, "4.7.26": ReasonAuthFailure,

	"5.1.1": ReasonUserUnknown, "5.1.2": ReasonHostUnknown, "5.1.3": ReasonUserUnknown,
	"5.1.4": ReasonFiltered, "5.1.6": ReasonHasMoved, "5.1.7": ReasonRejected, "5.1.8": ReasonRejected,
	"5.1.9": ReasonSystemError, "5.1.10": ReasonNotAccept,
	"5.2.0": ReasonFiltered, "5.2.1": ReasonFiltered, "5.2.2": ReasonMailboxFull, "5.2.3": ReasonExceedLimit,
	"5.2.4": ReasonFiltered,
	"5.3.0": ReasonSystemError, "5.3.1": ReasonSystemFull, "5.3.2": ReasonNotAccept, "5.3.3": ReasonSystemError,
	"5.3.4": ReasonMesgTooBig, "5.3.5": ReasonSystemError,
	"5.4.0": ReasonNetworkError, "5.4.3": ReasonSystemError, "5.4.4": ReasonHostUnknown, "5.4.6": ReasonNetworkError,
	"5.5.2": ReasonSyntaxError, "5.5.3": ReasonTooManyConn, "5.5.4": ReasonSystemError, "5.5.5": ReasonSystemError,
	"5.5.6":  ReasonSyntaxError,
	"5.7.13": ReasonSuspend, "5.7.16": ReasonMesgTooBig, "5.7.17": ReasonHasMoved, "5.7.18": ReasonHasMoved,
	"5.7.20": ReasonAuthFailure, "5.7.21": ReasonAuthFailure, "5.7.22": ReasonAuthFailure,
	"5.7.23": ReasonAuthFailure, "5.7.24": ReasonAuthFailure, "5.7.25": ReasonRequirePTR,
	"5.7.26": ReasonAuthFailure, "5.7.27": ReasonNotAccept, "5.7.28": ReasonSpamDetected,
	"5.7.29": ReasonAuthFailure,
}

// reasonFromStatus names the reason a status code stands for, or "".
func reasonFromStatus(status string) Reason {
	if status == "" {
		return ""
	}
	if status[0] == '2' {
		return ReasonDelivered
	}
	if r, ok := statusReasons[status]; ok {
		return r
	}
	if strings.HasPrefix(status, "5.6.") {
		return ReasonContentError
	}
	if strings.HasPrefix(status, "5.7.") {
		// Other policy and security refusals, including vendor codes such as
		// Microsoft's 5.7.509: the text usually says more.
		return ReasonSecurityError
	}
	return ""
}

// canonicalStatus is the RFC 3463 detail for each reason, used to derive a
// status when the notification gives none. The class comes from the reply
// code or the action.
var canonicalStatus = map[Reason]string{
	ReasonUserUnknown:     "1.1",
	ReasonHostUnknown:     "1.2",
	ReasonHasMoved:        "1.6",
	ReasonNotAccept:       "1.10",
	ReasonRejected:        "7.1",
	ReasonFiltered:        "2.0",
	ReasonSuspend:         "2.1",
	ReasonMailboxFull:     "2.2",
	ReasonExceedLimit:     "2.3",
	ReasonMesgTooBig:      "3.4",
	ReasonSystemFull:      "3.1",
	ReasonSystemError:     "3.0",
	ReasonMailerError:     "3.0",
	ReasonNetworkError:    "4.0",
	ReasonTooManyConn:     "4.5",
	ReasonSpeeding:        "7.0",
	ReasonExpired:         "4.7",
	ReasonSyntaxError:     "5.2",
	ReasonContentError:    "6.0",
	ReasonNotCompliantRFC: "6.0",
	ReasonBlocked:         "7.1",
	ReasonSpamDetected:    "7.1",
	ReasonVirusDetected:   "7.1",
	ReasonPolicyViolation: "7.1",
	ReasonBadReputation:   "7.1",
	ReasonNoRelaying:      "7.1",
	ReasonAuthFailure:     "7.26",
	ReasonRequirePTR:      "7.25",
	ReasonSecurityError:   "7.0",
	ReasonOnHold:          "0.0",
	ReasonUndefined:       "0.0",
	ReasonDelivered:       "0.0",
}

// StatusForReason returns the RFC 3463 status Parse derives for a reason when
// the notification carries none; class is '2', '4' or '5'.
func StatusForReason(reason Reason, class byte) string {
	d, ok := canonicalStatus[reason]
	if !ok {
		d = "0.0"
	}
	if class != '2' && class != '4' {
		class = '5'
	}
	return string(class) + "." + d
}
