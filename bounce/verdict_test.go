package bounce_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

const verpSender = "bounces+d7.k3q9x@example.test"

// verdictCases are replies as Postfix 3.7 and the large providers send
// them, with the blame each must get wherever it arrives.
var verdictCases = []struct {
	name, code, status, text string
	blame                    bounce.Blame
}{
	// Postfix refusing the envelope sender at RCPT time (smtpd_delay_reject).
	{"reject_sender_login_mismatch", "553", "5.7.1",
		"553 5.7.1 <" + verpSender + ">: Sender address rejected: not owned by user newsletter", bounce.BlameSender},
	{"check_sender_access", "554", "5.7.1",
		"554 5.7.1 <" + verpSender + ">: Sender address rejected: Access denied", bounce.BlameSender},
	{"reject_unlisted_sender", "550", "5.1.0",
		"550 5.1.0 <" + verpSender + ">: Sender address rejected: User unknown in local recipient table", bounce.BlameSender},
	{"outlook 5.7.515", "550", "5.7.515",
		"550 5.7.515 Access denied, sending domain example.test doesn't meet the required authentication level.", bounce.BlameSender},
	{"gmail 5.7.26", "550", "5.7.26",
		"550 5.7.26 Unauthenticated email from example.test is not accepted due to domain's DMARC policy.", bounce.BlameSender},
	{"5.7.1 policy", "554", "5.7.1", "554 5.7.1 Message rejected under local policy", bounce.BlameSender},
	{"5.7.1 relay", "554", "5.7.1", "554 5.7.1 <reader@example.net>: Relay access denied", bounce.BlameSender},

	// Positive evidence that the address is dead.
	{"5.1.1", "550", "5.1.1",
		"550 5.1.1 <reader@example.net>: Recipient address rejected: User unknown in local recipient table", bounce.BlameRecipient},
	{"5.1.10", "550", "5.1.10",
		"550 5.1.10 <reader@example.net>: Recipient address rejected: Domain example.net does not accept mail (nullMX)", bounce.BlameRecipient},
	{"5.2.1 mailbox wording", "550", "5.2.1", "550 5.2.1 mailbox does not exist", bounce.BlameRecipient},
	{"5.1.2 recipient domain", "550", "5.1.2", "550 5.1.2 <reader@nowhere.invalid>: Recipient address rejected: Domain not found", bounce.BlameRecipient},

	// The mailbox, not the address.
	{"5.2.2 full", "552", "5.2.2", "552 5.2.2 <reader@example.net>: Mailbox full", bounce.BlameMailbox},
	{"5.2.1 disabled", "550", "5.2.1", "550 5.2.1 The email account that you tried to reach is disabled.", bounce.BlameMailbox},
	{"5.1.4 ambiguous", "550", "5.1.4", "550 5.1.4 Ambiguous destination mailbox address", bounce.BlameMailbox},
	{"5.4.6 routing loop", "554", "5.4.6", "554 5.4.6 Too many hops", bounce.BlameMailbox},
}

func TestJudge(t *testing.T) {
	for _, tc := range verdictCases {
		t.Run(tc.name, func(t *testing.T) {
			v := bounce.Judge(bounce.Reply{Code: tc.code, Status: tc.status, Text: tc.text, Command: "RCPT", Sender: "<" + verpSender + ">"})
			if v.Blame != tc.blame || v.Hard != (tc.blame == bounce.BlameRecipient) {
				t.Errorf("Judge = %+v; want blame %s", v, tc.blame)
			}
			if v.Status != tc.status {
				t.Errorf("status %q; want %q", v.Status, tc.status)
			}
		})
	}
}

// TestSameVerdictInADSN: the reply Judge sees at send time, coming back in
// Postfix's DSN for the same message (message/global-delivery-status, as
// Postfix writes it when the message asked for SMTPUTF8, and the classic
// message/delivery-status), gets the same verdict and reason.
func TestSameVerdictInADSN(t *testing.T) {
	for _, tc := range verdictCases {
		for _, global := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/global=%t", tc.name, global), func(t *testing.T) {
				at := bounce.Judge(bounce.Reply{Code: tc.code, Status: tc.status, Text: tc.text, Command: "RCPT"})
				res, err := bounce.ParseBytes([]byte(postfixDSN(tc.status, tc.text, global)))
				if err != nil {
					t.Fatal(err)
				}
				if res.Type != bounce.TypeBounce || len(res.Recipients) != 1 {
					t.Fatalf("Parse = %s with %d recipients; want one bounce", res.Type, len(res.Recipients))
				}
				r := res.Recipients[0]
				if r.Blame != at.Blame || r.Hard != at.Hard || r.Reason != at.Reason || r.Status != at.Status {
					t.Errorf("DSN: %s %s hard=%t blame=%s; at send time: %s %s hard=%t blame=%s",
						r.Status, r.Reason, r.Hard, r.Blame, at.Status, at.Reason, at.Hard, at.Blame)
				}
				if r.Address != "reader@example.net" {
					t.Errorf("address %q", r.Address)
				}
			})
		}
	}
}

// postfixDSN is a non-delivery report in the exact shape Postfix 3.7 writes
// (bounce(8) templates, RFC 3464/6533 report), for a refusal at RCPT time.
func postfixDSN(status, reply string, global bool) string {
	report, headers := "message/delivery-status", "text/rfc822-headers"
	rcptType := "rfc822"
	if global {
		report, headers, rcptType = "message/global-delivery-status", "message/global-headers", "utf-8"
	}
	wrapped := wrap("<reader@example.net>: host relay.example.test[127.0.0.1] said: "+reply+" (in reply to RCPT TO command)", 72)
	return strings.ReplaceAll(`Return-Path: <>
Delivered-To: `+verpSender+`
From: MAILER-DAEMON@mx.example.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: `+verpSender+`
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F1A21C0E2.1764630000/mx.example.test"
Message-Id: <20251201230000.4F1A21C0E2@mx.example.test>

This is a MIME-encapsulated message.

--4F1A21C0E2.1764630000/mx.example.test
Content-Description: Notification
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.example.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

`+wrapped+`

--4F1A21C0E2.1764630000/mx.example.test
Content-Description: Delivery report
Content-Type: `+report+`

Reporting-MTA: dns; mx.example.test
X-Postfix-Queue-ID: 4F1A21C0E2
X-Postfix-Sender: rfc822; `+verpSender+`
Arrival-Date: Mon,  1 Dec 2025 23:00:00 +0000 (UTC)

Final-Recipient: `+rcptType+`; reader@example.net
Original-Recipient: `+rcptType+`;reader@example.net
Action: failed
Status: `+status+`
Remote-MTA: dns; relay.example.test
Diagnostic-Code: smtp; `+reply+`

--4F1A21C0E2.1764630000/mx.example.test
Content-Description: Undelivered Message Headers
Content-Type: `+headers+`

Return-Path: <`+verpSender+`>
From: Example News <news@example.test>
To: <reader@example.net>
Subject: Issue 12
Message-ID: <d7.k3q9x@example.test>
X-Dispatch-Delivery: d7.k3q9x

--4F1A21C0E2.1764630000/mx.example.test--
`, "\n", "\r\n")
}

// wrap folds a line the way Postfix does in the notice (four spaces of
// indent on continuation lines).
func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && line+1+len(w) > width {
			b.WriteString("\n    ")
			line = 4
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// TestRoutingLoopHasAReason: 5.4.6 (routing loop) is a network error of the
// way to the recipient, not "onhold".
func TestRoutingLoopHasAReason(t *testing.T) {
	for _, text := range []string{"554 5.4.6 Too many hops", "554 5.4.6 mail for example.net loops back to myself", "554 5.4.6"} {
		v := bounce.Judge(bounce.Reply{Code: "554", Status: "5.4.6", Text: text})
		if v.Reason == bounce.ReasonOnHold || v.Reason == bounce.ReasonUndefined || v.Hard {
			t.Errorf("%q: %+v; want a reason for the loop, not hard", text, v)
		}
	}
}

// TestFixturesAgreeWithJudge: for every failed recipient of every fixture,
// the reply the report quotes gets the same verdict from Judge, the
// classifier send time uses.
func TestFixturesAgreeWithJudge(t *testing.T) {
	compared := 0
	for _, tc := range fixtures {
		raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := bounce.ParseBytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		if res.Type != bounce.TypeBounce || res.Delayed {
			continue
		}
		for _, r := range res.Recipients {
			if r.Action != "failed" || r.ReplyCode == "" {
				continue // no SMTP reply to compare
			}
			compared++
			v := bounce.Judge(bounce.Reply{Code: r.ReplyCode, Status: r.Status, Text: r.Diagnostic, Command: r.Command})
			if v.Blame != r.Blame || v.Hard != r.Hard {
				t.Errorf("%s %s: report says %s/%s hard=%t, Judge says %s/%s hard=%t (%q)",
					tc.file, r.Address, r.Reason, r.Blame, r.Hard, v.Reason, v.Blame, v.Hard, r.Diagnostic)
			}
		}
	}
	if compared < 8 {
		t.Errorf("compared %d replies; the fixtures should give at least 8", compared)
	}
	t.Logf("%d replies compared", compared)
}
