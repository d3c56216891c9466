package inbox_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/subscribers"
)

// forgedDSN is a delivery report anyone could mail to the bounce address:
// no VERP token, no returned message, naming the given addresses (and
// strangers up to n recipients).
func forgedDSN(to string, named []string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: MAILER-DAEMON@mx.attacker.example\r\nTo: %s\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <forged-%d@mx.attacker.example>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.attacker.example\r\n\r\n", to, n)
	for i := range n {
		addr := fmt.Sprintf("stranger%d@example.org", i)
		if i < len(named) {
			addr = named[i]
		}
		fmt.Fprintf(&b, "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
			"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n", addr)
	}
	b.WriteString("--B--\r\n")
	return b.Bytes()
}

func (e *env) unattributedReports() []subscribers.UnattributedReport {
	e.t.Helper()
	rs, err := e.store.UnattributedReports(e.ctx, time.Time{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) assertNobodyChanged() {
	e.t.Helper()
	for _, email := range subscriberEmails {
		if got := e.status(email); got != subscribers.StatusActive {
			e.t.Errorf("%s = %s; want active", email, got)
		}
	}
	if n := e.countBounces(); n != 0 {
		e.t.Errorf("%d bounce rows; want 0", n)
	}
}

// TestForgedBulkDSNChangesNobody reproduces the attack: a large report with
// no token, naming every subscriber (half of them mailed minutes ago) among
// 10,000 recipients, suppresses no one. It is kept once for review.
func TestForgedBulkDSNChangesNobody(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n          int
		wantReason string
	}{
		{name: "10k recipients", n: 10_000, wantReason: "names 10000 recipients (address matching allows at most 5)"},
		{name: "100k recipients, cut at the parser's limit", n: 100_000, wantReason: "names 100000 recipients (address matching allows at most 5); it was cut short (delivery-status part larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.markSent(subscriberEmails[:5]...)
			raw := forgedDSN(bounceBase, subscriberEmails, tc.n)
			for i := range 2 {
				o := e.process(raw)
				if !o.Unattributed || o.Type != bounce.TypeBounce || !strings.Contains(o.Ignored, tc.wantReason) {
					t.Fatalf("run %d: outcome = %+v; want an unattributed bounce because it %s", i+1, o, tc.wantReason)
				}
				if o.Duplicate != (i == 1) {
					t.Errorf("run %d: Duplicate = %v", i+1, o.Duplicate)
				}
				if o.ReportRecipients != tc.n {
					t.Errorf("run %d: ReportRecipients = %d; want %d (nothing silently dropped)", i+1, o.ReportRecipients, tc.n)
				}
				if len(o.Recipients) != 0 {
					t.Errorf("run %d: %d recipients applied; want 0", i+1, len(o.Recipients))
				}
			}
			e.assertNobodyChanged()
			rs := e.unattributedReports()
			if len(rs) != 1 {
				t.Fatalf("%d unattributed reports; want 1", len(rs))
			}
			r := rs[0]
			if r.Recipients != tc.n || r.Addresses[0] != subscriberEmails[0] || r.Kind != subscribers.BounceHard ||
				!strings.Contains(r.Reason, tc.wantReason) || !strings.Contains(r.Detail, "MAILER-DAEMON@mx.attacker.example") {
				t.Errorf("report = %+v", r)
			}
		})
	}
}

// TestForgedSmallDSNNeedsARecentDelivery: a report naming a few addresses
// without a token applies only to those mailed within the window.
func TestForgedSmallDSNNeedsARecentDelivery(t *testing.T) {
	e := newEnv(t)
	e.markSent("bob@example.net")
	o := e.process(forgedDSN(bounceBase, []string{"ada@example.net", "bob@example.net"}, 2))
	if o.Unattributed || len(o.Recipients) != 2 {
		t.Fatalf("outcome = %+v; want two recipients, bob applied", o)
	}
	if got := e.status("ada@example.net"); got != subscribers.StatusActive {
		t.Errorf("ada (never mailed) = %s; want active", got)
	}
	if got := e.status("bob@example.net"); got != subscribers.StatusBounced {
		t.Errorf("bob (mailed just now) = %s; want bounced", got)
	}
	if !strings.Contains(o.Recipients[0].Unattributed, "not sent a message within 14 days") {
		t.Errorf("ada: %+v; want unattributed with the reason", o.Recipients[0])
	}
	rs := e.unattributedReports()
	if len(rs) != 1 || len(rs[0].Addresses) != 1 || rs[0].Addresses[0] != "ada@example.net" {
		t.Errorf("unattributed reports = %+v; want ada's", rs)
	}
}

// TestForgedComplaintChangesNobody: an ARF report whose token does not
// verify (or that has none) is matched by address only, and the address
// was never mailed: nobody is marked complained.
func TestForgedComplaintChangesNobody(t *testing.T) {
	other, err := subscribers.NewTokens("the-attacker-has-another-secret")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	for i, forge := range []func(v map[string]string){
		func(v map[string]string) { // a token signed with another key
			tok := other.Delivery(e.delivery["fay@example.net"].ID)
			v["TOKEN"], v["MSGID"], v["VERP"] = tok, tok+"@"+fromDomain, subscribers.VERPAddress(bounceBase, tok)
		},
		func(v map[string]string) { // no token at all
			v["TOKEN"], v["MSGID"], v["VERP"] = "", "someone-else@example.org", bounceBase
		},
	} {
		v := e.vars("fay@example.net")
		v["N"] = itoa(i)
		forge(v)
		o := e.process(fixture(t, "arf-abuse.eml", v))
		if o.Type != bounce.TypeComplaint || !o.Unattributed {
			t.Errorf("forgery %d: outcome = %+v; want an unattributed complaint", i, o)
		}
	}
	e.assertNobodyChanged()
	if rs := e.unattributedReports(); len(rs) != 2 || rs[0].Kind != subscribers.BounceComplaint {
		t.Errorf("unattributed reports = %+v; want the two complaints", rs)
	}
}

// TestGenuineVERPReportStillApplies: the signed VERP token ties a report to
// the one delivery it names, however many recipients the report lists
// and whether or not the address was mailed recently.
func TestGenuineVERPReportStillApplies(t *testing.T) {
	e := newEnv(t)
	verp := e.vars("cy@example.net")["VERP"]
	o := e.process(forgedDSN(verp, append([]string{"cy@example.net"}, subscriberEmails...), 1000))
	if o.Unattributed || len(o.Recipients) != 1 || o.Recipients[0].Suppressed != subscribers.StatusBounced {
		t.Fatalf("outcome = %+v; want cy bounced", o)
	}
	for _, email := range subscriberEmails {
		want := subscribers.StatusActive
		if email == "cy@example.net" {
			want = subscribers.StatusBounced
		}
		if got := e.status(email); got != want {
			t.Errorf("%s = %s; want %s", email, got, want)
		}
	}
	// The fixture a real Postfix sends, with its VERP address.
	o = e.process(fixture(t, "postfix-hard.eml", e.vars("dee@example.net")))
	if o.Unattributed || e.status("dee@example.net") != subscribers.StatusBounced {
		t.Errorf("postfix VERP bounce: outcome %+v, dee = %s; want bounced", o, e.status("dee@example.net"))
	}
}

// TestOversizedMessageIsNotPassedOffAsWhole: a message larger than the
// readers keep is processed from its start, but as cut short: without a
// token it changes no one; with one it still applies to that delivery.
func TestOversizedMessageIsNotPassedOffAsWhole(t *testing.T) {
	e := newEnv(t)
	e.markSent("ada@example.net", "bob@example.net")
	dir := t.TempDir()
	big := func(to, rcpt string) string {
		raw := string(forgedDSN(to, []string{rcpt}, 1))
		// A returned message with a large body after the report, so the
		// cut falls after it.
		raw = strings.Replace(raw, "--B--\r\n", "--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: the issue\r\n\r\n"+
			strings.Repeat(strings.Repeat("x", 76)+"\r\n", (17<<20)/78)+"--B--\r\n", 1)
		path := filepath.Join(dir, rcpt+".eml")
		if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var outs []inbox.Outcome
	_, err := e.proc.ProcessFiles(e.ctx, []string{
		big(bounceBase, "ada@example.net"),
		big(e.vars("bob@example.net")["VERP"], "bob@example.net"),
	}, func(o inbox.Outcome) { outs = append(outs, o) })
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("%d outcomes; want 2", len(outs))
	}
	if !strings.Contains(outs[0].Truncated, "message larger than") || !outs[0].Unattributed {
		t.Errorf("no token: outcome %+v; want unattributed, cut short", outs[0])
	}
	if got := e.status("ada@example.net"); got != subscribers.StatusActive {
		t.Errorf("ada = %s; want active", got)
	}
	if !strings.Contains(outs[1].Truncated, "message larger than") || outs[1].Unattributed {
		t.Errorf("VERP token: outcome %+v; want applied, cut short", outs[1])
	}
	if got := e.status("bob@example.net"); got != subscribers.StatusBounced {
		t.Errorf("bob = %s; want bounced", got)
	}
}

// TestCFBLComplaintIsAttributed: an RFC 9477 report that redacts everything
// of the original but its CFBL-Feedback-ID is tied to the delivery by that
// signed token, even for an address not mailed recently.
func TestCFBLComplaintIsAttributed(t *testing.T) {
	e := newEnv(t)
	tok := e.vars("hal@example.net")["TOKEN"]
	arf := "From: <fbl@isp.example>\r\nTo: <fbl@example.com>\r\nSubject: complaint\r\nMessage-ID: <cfbl-1@isp.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n" +
		"--F\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n\r\n" +
		"--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ISP/1.0\r\nVersion: 1\r\n\r\n" +
		"--F\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: news@example.com\r\nTo: redacted@isp.example\r\n" +
		"CFBL-Feedback-ID: " + tok + "\r\n\r\n--F--\r\n"
	o := e.process([]byte(arf))
	if o.Unattributed || len(o.Recipients) != 1 || o.Recipients[0].Attribution != "header" {
		t.Fatalf("outcome = %+v; want attributed by header", o)
	}
	if got := e.status("hal@example.net"); got != subscribers.StatusComplained {
		t.Errorf("hal = %s; want complained", got)
	}
	// The same with a token signed by someone else changes no one.
	other, _ := subscribers.NewTokens("another-secret-entirely-0123")
	forged := strings.ReplaceAll(arf, tok, other.Delivery(e.delivery["ida@example.net"].ID))
	forged = strings.Replace(forged, "cfbl-1@", "cfbl-2@", 1)
	if o := e.process([]byte(forged)); !o.Unattributed {
		t.Errorf("forged CFBL id: outcome = %+v; want unattributed", o)
	}
	if got := e.status("ida@example.net"); got != subscribers.StatusActive {
		t.Errorf("ida = %s; want active", got)
	}
}

// TestVERPTokenIsASCII: a VERP token spelt with U+212A KELVIN SIGN for
// "k" is not the token Dispatch issued and must not attribute a report,
// though Unicode case folding would make it one.
func TestVERPTokenIsASCII(t *testing.T) {
	e := newEnv(t)
	for _, email := range subscriberEmails {
		verp := e.vars(email)["VERP"]
		at := strings.LastIndexByte(verp, '@')
		if at < 0 || !strings.Contains(verp[:at], "k") {
			continue
		}
		kelvin := strings.Replace(verp[:at], "k", "\u212a", 1) + verp[at:]
		o := e.process(forgedDSN(kelvin, []string{email}, 1))
		for _, r := range o.Recipients {
			if r.Attribution == inbox.AttrVERP {
				t.Errorf("a VERP token with a kelvin sign attributed the report: %+v", o)
			}
		}
		return
	}
	t.Fatal("no subscriber's VERP token contains a k; change the fixture's secret")
}
