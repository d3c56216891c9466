package bounce

import (
	"strings"
	"sync"
)

// Reason names the cause of one failure, after Sisimai's vocabulary so
// results compare with the largest public bounce corpus. The zero value
// means no cause was decided.
type Reason string

// The reasons.
const (
	ReasonUserUnknown     Reason = "userunknown"     // the mailbox does not exist
	ReasonHostUnknown     Reason = "hostunknown"     // the domain does not exist or has no mail host
	ReasonHasMoved        Reason = "hasmoved"        // the mailbox moved and mail is not forwarded
	ReasonNotAccept       Reason = "notaccept"       // the domain accepts no mail (null MX, 521/556)
	ReasonMailboxFull     Reason = "mailboxfull"     // over quota
	ReasonMesgTooBig      Reason = "mesgtoobig"      // the message is too large
	ReasonExceedLimit     Reason = "exceedlimit"     // the message exceeds a per-mailbox limit
	ReasonSuspend         Reason = "suspend"         // the mailbox is disabled or suspended
	ReasonFiltered        Reason = "filtered"        // refused by the recipient's filter or settings
	ReasonRejected        Reason = "rejected"        // the sender address was refused
	ReasonBlocked         Reason = "blocked"         // the sending IP or host was refused
	ReasonSpamDetected    Reason = "spamdetected"    // the content was judged as spam
	ReasonVirusDetected   Reason = "virusdetected"   // a virus was found
	ReasonPolicyViolation Reason = "policyviolation" // a site policy refused the message
	ReasonAuthFailure     Reason = "authfailure"     // SPF, DKIM or DMARC failed
	ReasonRequirePTR      Reason = "requireptr"      // the sending IP lacks reverse DNS
	ReasonBadReputation   Reason = "badreputation"   // the sending IP has a bad reputation
	ReasonNoRelaying      Reason = "norelaying"      // relaying denied
	ReasonSecurityError   Reason = "securityerror"   // other security refusal (5.7.x)
	ReasonContentError    Reason = "contenterror"    // malformed content (5.6.x)
	ReasonNotCompliantRFC Reason = "notcompliantrfc" // the message breaks an RFC
	ReasonSyntaxError     Reason = "syntaxerror"     // an SMTP command was malformed
	ReasonTooManyConn     Reason = "toomanyconn"     // too many connections or recipients
	ReasonSpeeding        Reason = "speeding"        // rate limited
	ReasonSystemError     Reason = "systemerror"     // the receiving system failed
	ReasonSystemFull      Reason = "systemfull"      // the receiving system ran out of space
	ReasonNetworkError    Reason = "networkerror"    // DNS or connection problem
	ReasonExpired         Reason = "expired"         // retries ran out or still retrying
	ReasonMailerError     Reason = "mailererror"     // a local delivery program failed
	ReasonSuppressed      Reason = "suppressed"      // the sending service refused to try (suppression list)
	ReasonOnHold          Reason = "onhold"          // failed, cause not stated
	ReasonUndefined       Reason = "undefined"       // nothing to go on
	ReasonDelivered       Reason = "delivered"       // success notification
	ReasonFeedback        Reason = "feedback"        // complaint
	ReasonVacation        Reason = "vacation"        // auto-reply
)

// IsHard reports whether a reason means the address itself is dead and must
// never be mailed again (its blame is the recipient; see reasonBlame).
func IsHard(reason Reason) bool { return BlameOf(reason) == BlameRecipient }

// phrases lists, per reason, lowercase fragments of the texts servers send
// for it. A fragment with "*" matches its pieces in that order.
var phrases = map[Reason][]string{
	ReasonMailboxFull: {
		"mailbox full", "mailbox is full", "mailbox was full", "mailbox has exceeded", "mailbox size limit",
		"mailbox would exceed", "mailbox exceeds", "mailbox quota", "mailbox*over quota", "full mailbox",
		"over quota", "overquota", "quota exceeded", "exceeded quota", "quota exceed", "exceeds its quota",
		"exceeded the quota", "exceed the quota", "over the quota", "quota violation", "disk quota",
		"exceeded storage allocation", "exceeded their storage", "mailfolder is full", "maildir over",
		"insufficient disk space", "not sufficient disk space", "no space left on device",
		"user's space has been used up", "user has too many messages", "too much mail data", "inbox is full",
		"inbox full", "account is full", "account is over", "mailbox*exceeded*limit", "quota*exceeded",
		"boite du destinataire pleine", "postfach voll", "casella piena", "buzon lleno",
		"maximum allowed storage", "storage quota", "recipient's mailbox is full", "user over quota",
		"has exceeded its storage", "is over its quota", "mailbox size exceeded", "exceeding receiving limits",
		"メールボックスが一杯", "容量超過", "容量オーバー",
	},
	ReasonMesgTooBig: {
		"message too big", "message too large", "message is too big", "message is too large",
		"message size exceeds", "message size limit", "message size is over", "exceeded maximum message size",
		"exceeds maximum message size", "exceeds the maximum message size", "exceeds maximum allowed size",
		"message length exceeds", "mail size limit", "too big for", "message larger than",
		"size of the message exceeds", "message file too big", "message exceeded the size",
		"email is too large", "message exceeds the maximum", "line limit exceeded", "size limit exceeded",
		"message body too large", "data size exceeds",
	},
	ReasonExceedLimit: {
		"message length exceeds administrative limit", "exceeds per-mailbox", "exceeded the limit of",
	},
	ReasonHasMoved: {
		"has been moved", "address has changed", "mailbox has moved", "user has moved", "has moved on",
		"is no longer employed", "no longer works", "has left the company", "address moved",
		"recipient moved", "the new address is", "mailbox moved",
	},
	ReasonSuspend: {
		"account disabled", "account is disabled", "account has been disabled", "account is inactive",
		"account inactive", "inactive account", "account has been suspended", "account is suspended",
		"account suspended", "account has been deactivated", "account is deactivated", "mailbox disabled",
		"mailbox is disabled", "mailbox suspended", "mailbox currently suspended", "mailbox is inactive",
		"mailbox is frozen", "mailbox is locked", "account is locked", "account locked", "user suspended",
		"user is suspended", "is currently suspended", "has been suspended", "deactivated mailbox",
		"disabled or discontinued", "temporarily inactive", "user is terminated", "user inactive",
		"that you tried to reach is disabled", "that you tried to reach is inactive", "archived recipient",
		"recipient suspend", "user or domain is disabled", "this mailbox is disabled", "temporary locked",
		"is a deactivated mailbox", "boite du destinataire archivee", "account expired", "account has expired",
	},
	ReasonNotAccept: {
		"does not accept mail", "host does not accept", "domain does not accept", "null mx", "nullmx",
		"mail receiving disabled", "no mx record found for domain=", "accepts no mail",
		"indicated no smtp service", "name server: .: host not found", "no route for current request",
		"smtp protocol returned a permanent error",
	},
	ReasonAuthFailure: {
		"dmarc", "spf check", "spf fail", "spf validation", "spf record", "sender policy framework", "spf)",
		"spf:", "spf=fail", "spf =", "dkim signature", "dkim check", "dkim fail", "dkim=fail", "dkim verif",
		"dkim validation", "valid dkim", "dkim policy", "domainkeys", "authentication check failed",
		"not pass authentication", "failed authentication", "unauthenticated email",
		"sender is not authorized by", "is not authorized to send on behalf", "not designated",
		"sender authentication", "does not pass", "5.7.26", "5.7.509", "5.7.515", "5.7.23",
		"ip address that is not authorized to send", "is not allowed to send mail from",
		"not authorized to send on behalf", "authenticity check", "arc validation",
	},
	ReasonRequirePTR: {
		"reverse dns", "rdns", "ptr record", "no ptr", "ptr lookup", "reverse lookup", "reverse hostname",
		"reverse-dns", "cannot find your hostname", "cannot resolve your address", "can't resolve your",
		"client host rejected: cannot find your", "does not have a reverse", "no reverse", "fcrdns",
		"ip name lookup failed", "is not resolvable", "5.7.25", "your ip address does not resolve",
		"unverifyable sending ip", "unverifiable sending ip", "not match your hostname",
		"hostname does not match", "is not a valid hostname", "name lookup failed",
		"ip address has no ptr", "client host rejected: cannot find",
		"mismatches client ip",
	},
	ReasonNoRelaying: {
		"relay access denied", "relaying denied", "relay denied", "relay not permitted", "not permitted to relay",
		"relaying not allowed", "relay not allowed", "unable to relay", "cannot relay", "we do not relay",
		"not a gateway", "no relaying", "relaying is prohibited", "relay prohibited", "relay not authorized",
		"relaying mail to", "is not permitted to relay", "relay access is denied", "insecure mail relay",
		"relaying to", "relay rejected", "domain isn't in my list of allowed rcpthosts",
	},
	ReasonHostUnknown: {
		"host unknown", "unknown host", "domain not found", "domain does not exist",
		"domain doesn't exist", "no such domain", "domain name not found", "unrouteable address",
		"unroutable address", "name or service not known", "nxdomain", "domain is not reachable",
		"domain must exist", "unknown domain", "host or domain name not found",
		"mail domain mentioned in email address is unknown", "all relevant mx records point to non-existent hosts",
		"not a valid domain", "bad destination host", "domain unknown", "unknown mail domain",
		"hostname not found", "the account or domain may not exist", "no such host", "not a registered domain",
		"553*does not exist", "recipient domain must exist", "domain is not valid", "host name not found",
		"no valid mx", "dns lookup failed for",
	},
	ReasonUserUnknown: {
		"user unknown", "unknown user", "no such user", "user not found", "user does not exist",
		"user doesn't exist", "user not exist", "user not known", "user account does not exist",
		"unknown recipient", "recipient unknown", "no such recipient", "recipient not found",
		"recipient does not exist", "recipient doesn't exist", "recipient not exist", "invalid recipient",
		"recipient invalid", "not a valid recipient", "recipient address rejected: user",
		"recipient address rejected: unknown", "recipient address rejected: invalid",
		"recipient address rejected: access denied", "recipient address rejected: userunknown",
		"unknown mailbox", "mailbox unknown", "no such mailbox", "mailbox not found", "mailbox does not exist",
		"mailbox doesn't exist", "mailbox unavailable", "mailbox not available", "mailbox is unavailable",
		"mailbox invalid", "invalid mailbox", "mailbox name not allowed", "mailbox not present",
		"no mailbox", "not a valid mailbox", "bad destination mailbox", "address unknown", "unknown address",
		"invalid address", "address invalid", "address does not exist", "address doesn't exist",
		"address not found", "address not present", "address is not valid", "bad address", "addressee unknown",
		"not a known user", "is not a valid user", "not a valid user", "not our user", "no account by that name",
		"account does not exist", "email account that you tried to reach does not exist",
		"no such person", "no one at this address", "is not an active address", "no longer accepts mail",
		"this email address is wrong or no longer valid", "unknown or illegal alias", "unknown local part",
		"unknown local-part", "user missing home directory", "resolver.adr.recipientnotfound",
		"resolver.adr.recipnotfound", "recipientnotfound", "recipnotfound", "nonexistent user",
		"non-existent user", "non existent user", "badrcptto", "not in my validrcptto",
		"user not active", "no valid recipients", "destination addresses were unknown",
		"in my badrecipientto list", "utilisateur inconnu", "existiert nicht", "nessun utente",
		"no existe", "usuario desconocido", "e-mail address does not exist", "can't accept user",
		"no mailbox here by that name", "invalid user", "user invalid", "illegal user", "user rejected",
		"user_unknown", "userunknown", "account not found", "not have a*account", "doesn't have a*account",
		"was not found in", "user*was not found", "user*does not exist", "mailbox*does not exist",
		"rcpt <*does not exist", "recipient*was not found", "said: 550*5.1.1*user unknown",
		"unknown e-mail address", "unknown email address", "adresse d au moins un destinataire invalide",
		"recipient address rejected. (in reply to rcpt to command)", "recipient is not local",
		"not a local address", "sorry, no mailbox", "account unavailable", "requested action not taken: mailbox",
		"is not a valid mailbox", "recipient not ok", "that domain or user isn't in my list",
		"no thank you rejected: account unavailable", "recipient refuses to accept your mail",
		"your envelope recipient has been denied", "mailbox name not", "the following recipients was undeliverable",
		"this spectator does not exist", "vdeliver: invalid or unknown virtual user",
		"weil die adresse nicht gefunden wurde", "recipient address rejected.", "ディレクトリには見つかりません",
		"宛先不明", "存在しません", "ユーザが見つかりません", "ユーザーが見つかりません",
	},
	ReasonFiltered: {
		"550 : user unknown", ": : user unknown", "message filtered", "filtered by", "user reject", "refuse to receive", "refuses to receive",
		"refused due to recipient preferences", "you have been blocked by the recipient",
		"recipient is only accepting mail from", "account is protected by", "message rejected due to user rules",
		"not accepting any mail", "has restricted sms e-mail", "recipient id refuse", "bounced address",
		"not found recipient account",
	},
	ReasonRejected: {
		"sender address rejected", "sender rejected", "sender was rejected", "sender denied",
		"sender is not allowed", "sender not allowed", "sender verify failed", "sender address invalid",
		"invalid sender", "sender is blacklisted", "sender blacklisted", "domain of sender address",
		"sender address has been", "unroutable sender", "bogus mail from", "null sender is not allowed",
		"empty envelope sender", "returned mail not accepted", "this server does not accept mail from",
		"mail from not owned", "sender not pre-approved", "not on the recipient's list of senders",
		"you are not allowed to post", "access denied (in reply to mail from", "access denied (sender",
		"batv", "address is on senderfilterconfig list", "administrative prohibition",
		"from: domain is invalid", "fully qualified email address required", "sender email address rejected",
		"sender is in my black list", "sender is spammer", "sender domain is empty", "syntax error: empty email",
		"can't determine purported responsible address", "unsigned dsn", "no third-party dsns",
		"delivery not authorized, message refused", "does not exist e2110", "email address is not verified",
		"envelope blocked", "mx records for", "denied [bouncedeny]", "emetteur invalide",
		"you are sending to/from an address that has been blacklisted", "your email address has been blacklisted",
		"sending this from a different address", "not a registered gateway user", "rule imposed mailbox access",
		"spam reporting address", "permission to post", "not allowed to post",
	},
	ReasonSpamDetected: {
		"spam score", "spam detected", "detected as spam", "identified as spam", "classified as spam",
		"considered spam", "considered as spam", "looks like spam", "rejected as spam", "marked as spam",
		"likely spam", "probable spam", "suspected spam", "spam message", "spam content", "spam filter",
		"spamfilter", "spam policy", "- spam", "spam.", "spam)", "(spam", "as spam", "is spam", "be spam",
		"spam-", "spamassassin", "junk mail", "junk e-mail", "unsolicited", "bulk mail", "bulk email",
		"content filter", "content-filter", "message content rejected", ", ube,", " ube ", "phishing",
		"score too high", "high score", "rejected by the recipient's content", "x-spam",
		"message was identified as", "suspicious url", "ofr_506", "mail appears to be unsolicited",
	},
	ReasonVirusDetected: {
		"virus", "malware", "infected", "trojan", "malicious",
	},
	ReasonBadReputation: {
		"reputation", "senderscore", "sender score", "ip has been identified",
		"temporarily deferred due to unexpected volume or user complaints", "low reputation",
	},
	ReasonPolicyViolation: {
		"policy violation", "violates our policy", "violation of policy", "policy reasons",
		"not accepted for policy", "policy rejection", "rejected for policy", "local policy", "site policy",
		"security policy", "company policy", "organization's policy", "organizational policy",
		"email policy", "mail policy", "message policy", "transport rule", "prohibited attachment",
		"attachment not allowed", "this type of file", "blocked attachment", "banned attachment",
		"due to policy", "policy restriction", "header error", "an executable", "bad attachment",
		"denied by policy", "protocol violation", "potential security issue",
	},
	ReasonBlocked: {
		"blocked using", "blacklisted by", "blocklisted", "black list", "blacklist", "blocklist",
		"block list", "dnsbl", " rbl", "rbl ", "spamhaus", "spamcop", "barracudacentral", "sorbs",
		"ip address is blocked", "ip blocked", "blocked ip", "ip address blocked", "your ip",
		"sending ip", "client host rejected", "connection refused by", "refused to talk",
		"not allowed to connect", "banned sending ip", "dynamic ip", "dial-up", "dialup", "residential",
		"not accepting connections", "helo command rejected", "go away",
		"too many spams from your ip", "not currently accepting mail from your ip", "5.7.606",
		"has been blocked", "have been blocked", "was blocked by", "is blocked by", "access from ip address",
		"sender ip address rejected", "host network not allowed", "hosts with dynamic ip",
		"invalid ip for sending mail", "is in a black list", "not allowed to send mail from your",
		"part of their network is on our block list", "please use the smtp server of your isp",
		"refused - see http", "rejected - see http", "blocked - see http", "rejecting open proxy",
		"service not available, closing transmission channel", "smtp error from remote mail server after initial connection",
		"your access ip", "your network is temporary blacklisted", "your server requires confirmation",
		"listed at", "listed in", "listed on", "is listed", "esmtp not accepting", "connection dropped",
		"connection reset by peer", "connection was dropped by remote host", "messages from*weren't sent",
	},
	ReasonContentError: {
		"content error", "invalid content", "malformed", "invalid header", "header too long",
		"too many headers", "bad header", "illegal header", "message header size", "8-bit",
		"8bit", "media error",
		"duplicate header",
	},
	ReasonNotCompliantRFC: {
		"rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "rfc822", "rfc 5321", "not rfc",
		"non-compliant", "noncompliant", "multiple addresses in from", "duplicate header", "is not compliant",
		"does not comply", "not comply with", "rfc 1123",
	},
	ReasonSyntaxError: {
		"syntax error", "command unrecognized", "command not recognized", "unrecognized command",
		"command not implemented", "bad sequence of commands", "invalid command", "unknown command",
		"command parameter not implemented", "parameter not implemented",
	},
	ReasonTooManyConn: {
		"too many connections", "too many concurrent", "too many simultaneous", "connection limit",
		"too many smtp sessions", "too many sessions", "too many messages", "too many recipients",
		"too many hosts", "too many errors", "exceeded the maximum number of connections",
		"too many recipient", "to many recipient", "number of recipients",
		"connection rate limit",
	},
	ReasonSpeeding: {
		"rate limit", "ratelimit", "rate-limit", "too fast", "throttl", "sending rate", "slow down",
		"exceeded the rate", "message rate", "unusual rate", "rate of", "too frequent",
	},
	ReasonSystemFull: {
		"system full", "disk full", "out of disk", "insufficient system storage", "file system full",
		"mail system full", "system storage",
	},
	ReasonSystemError: {
		"aliasing/forwarding loop broken", "can't create user output file", "internal error reading data",
		"internal server error", "interrupted system call", "encountered an error while being processed",
		"would create a mail loop", "local configuration error", "local error in processing",
		"loop was found in the mail exchanger", "loops back to myself", "mail system configuration error",
		"queue file write error", "remote server is misconfigured", "server configuration error",
		"service currently unavailable", "system config error", "temporary local problem",
		"timeout waiting for input", "transaction failed ", "unable to connect*daemon", "mail system error",
		"system error",
		"could not load drd",
	},
	ReasonNetworkError: {
		"could not connect and send the mail", "dns records for the destination computer could not be found",
		"host is unreachable", "host name lookup failure", "host not found, try again", "no route to host",
		"malformed name server reply", "malformed or unexpected name server reply", "network is unreachable",
		"unable to resolve route", "unrouteable mail domain", "temporary lookup failure", "too many hops",
		"hop count exceeded", "mail forwarding loop", "forwarding loop count exceeded", "message looping",
		"routing loop", "network error",
		"dns query failed",
	},
	ReasonExpired: {
		"retry timeout exceeded", "retry time not reached", "delivery expired", "delivery time expired",
		"message expired", "envelope expired", "queue.expired", "expired", "giving up on", "gave up",
		"connection timed out", "host not reachable", "was not delivered within", "is not responding",
		"could not be delivered for", "have been failing for a long time", "has been delayed",
		"will be retried", "in the queue too long", "queue too long", "too long in queue",
		"message timed out", "unable to deliver message after multiple retries", "delivery attempts will continue",
		"was not reachable within the allowed queue period", "server did not respond",
		"your message could not be delivered for more than", "could not find a gateway for",
		"failed to deliver to domain", "it has not been collected after", "did not accept our requests to connect",
	},
	ReasonMailerError: {
		"mailer error", "command failed", "exit code", "exited with", "pipe to", "procmail", "maildrop",
		"x-unix", "local delivery failed", "unknown mailer", "command died", "mail for * loops",
		"error in processing", "program failed", "mailer-error", "exit status",
	},
	ReasonSecurityError: {
		"authentication required", "authentication failed", "tls required", "encryption required",
		"must issue a starttls", "security violation", "insecure", "certificate", "starttls",
		"user not authenticated", "authentication is required", "sender not authenticated",
		"unauthenticated senders",
	},
}

// definiteUserUnknown are wordings that only a recipient lookup produces,
// so they mean userunknown whatever the SMTP stage or status code: directory
// servers (Exchange, Domino, Notes) and providers whose phrasing is known.
var definiteUserUnknown = []string{
	"recipientnotfound", "recipnotfound", "recipient not found by smtp address lookup",
	"the recipient name is not recognized", "not listed in domino directory",
	"not listed in public name & address book", "ディレクトリには見つかりません", "ディレクトリのリストにありません",
	"this user doesn't have a yahoo.com account", "invalid recipient", "user not exist",
	"no valid recipients for this", "unknown user:",
}

// userUnknownFromFilter are "user unknown" replies with the address left
// out ("550 : User unknown"), which some providers (KDDI/au) send when a
// content or sender filter, not a missing mailbox, refused the message.
var userUnknownFromFilter = []string{"550 : user unknown", ": : user unknown"}

// probeOrder is the order in which reasons are tried against a failure when
// the server said what failed in SMTP terms: specific causes first, the
// broad "blocked" last.
var probeOrder = []Reason{
	ReasonMailboxFull, ReasonMesgTooBig, ReasonExceedLimit, ReasonSuspend, ReasonHasMoved, ReasonNoRelaying,
	ReasonAuthFailure, ReasonUserUnknown, ReasonFiltered, ReasonRequirePTR, ReasonNotCompliantRFC,
	ReasonBadReputation, ReasonContentError, ReasonRejected, ReasonHostUnknown, ReasonSpamDetected,
	ReasonTooManyConn, ReasonSpeeding, ReasonBlocked,
}

// fallbackOrder is tried when the probes found nothing or the status is too
// vague to trust: the wording alone decides.
var fallbackOrder = []Reason{
	ReasonMailboxFull, ReasonAuthFailure, ReasonBadReputation, ReasonSpeeding, ReasonSpamDetected,
	ReasonVirusDetected, ReasonPolicyViolation, ReasonNoRelaying, ReasonSystemError, ReasonNetworkError,
	ReasonSuspend, ReasonContentError, ReasonSystemFull, ReasonNotAccept, ReasonExpired, ReasonSecurityError,
	ReasonMailerError,
}

// matchPhrase reports whether lower contains phrase; "*" in the phrase
// separates pieces that must appear in that order.
func matchPhrase(lower, phrase string) bool {
	i := strings.IndexByte(phrase, '*')
	if i < 0 {
		return strings.Contains(lower, phrase)
	}
	for {
		piece := phrase
		if i >= 0 {
			piece, phrase = phrase[:i], phrase[i+1:]
		}
		j := strings.Index(lower, piece)
		if j < 0 {
			return false
		}
		lower = lower[j+len(piece):]
		if i < 0 {
			return true
		}
		i = strings.IndexByte(phrase, '*')
	}
}

// Rule names in the phrase index besides the reasons.
const (
	ruleDefinite   = "definite-userunknown"
	ruleFromFilter = "userunknown-from-filter"
	ruleSender     = "sender-blame"
)

// phraseIdx indexes every phrase list, once, on first use (building it
// takes milliseconds a program that never parses a bounce should not pay);
// the index is read-only afterwards.
var phraseIdx = sync.OnceValue(func() *phraseIndex { return newPhraseIndex(indexRules()) })

func indexRules() map[string][]string {
	rules := make(map[string][]string, len(phrases)+3)
	for r, ps := range phrases {
		rules[string(r)] = ps
	}
	rules[ruleDefinite] = definiteUserUnknown
	rules[ruleFromFilter] = userUnknownFromFilter
	rules[ruleSender] = senderWords
	return rules
}

// has reports whether the scanned text has one of the rule's phrases; a
// rule is a Reason or one of the rule names above.
func has[R ~string](rule R, m matches) bool { return phraseIdx().includes(string(rule), m) }

// firstIncluded returns the first reason in order whose phrases occur.
func firstIncluded(order []Reason, m matches) Reason {
	for _, r := range order {
		if has(r, m) {
			return r
		}
	}
	return ""
}
