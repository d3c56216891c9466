package bounce_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

// want is the part of a Result a fixture pins down.
type want struct {
	typ          bounce.Type
	recipients   []wantRecipient
	messageID    string
	deliveredTo  string // first entry
	feedbackType string
	delivery     string // X-Dispatch-Delivery of the original message
	delayed      bool
}

type wantRecipient struct {
	address, status, reply string
	reason                 bounce.Reason
	hard                   bool
}

// The fixtures are hand-written in the shape of each format family; their
// notes say which variant of the format they stand for.
var fixtures = []struct {
	file string
	want want
}{
	{"dsn-postfix-userunknown.eml", want{ // RFC 3464 report, Postfix wording, headers-only return
		typ:         bounce.TypeBounce,
		recipients:  []wantRecipient{{"ada@example.net", "5.1.1", "550", "userunknown", true}},
		messageID:   "d42.s77.1772532900@example.com",
		deliveredTo: "bounces+d42.s77=example.net@bounces.example.com",
		delivery:    "d42",
	}},
	{"dsn-global-utf8.eml", want{ // RFC 6533 message/global-delivery-status, UTF-8 address
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"josé@exämple.org", "5.1.1", "550", "userunknown", true}},
		messageID:  "d43.s78@example.com",
	}},
	// Real DSNs written by Postfix 3.7 in the MTA end-to-end test
	// (cmd/dispatch/e2e_mta_test.go): RFC 6533 global reports, since the
	// message asked for SMTPUTF8, with the whole message returned.
	{"postfix-global-userunknown.eml", want{
		typ:         bounce.TypeBounce,
		recipients:  []wantRecipient{{"gone@example.test", "5.1.1", "", "userunknown", true}},
		messageID:   "0gibaf7vt5ec5ta8ss@example.test",
		deliveredTo: "bounces+0gibaf7vt5ec5ta8ss@example.test",
		delivery:    "0gibaf7vt5ec5ta8ss",
	}},
	{"postfix-global-mailboxfull.eml", want{
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"full@example.test", "5.2.0", "", "mailboxfull", false}},
		messageID:  "0no8iovucvsal9mnp0@example.test",
		delivery:   "0no8iovucvsal9mnp0",
	}},
	{"postfix-global-delayed.eml", want{
		typ:        bounce.TypeBounce,
		delayed:    true,
		recipients: []wantRecipient{{"slow@example.test", "4.3.0", "", "mailererror", false}},
		messageID:  "0q5gk1s2bnupeq2chg@example.test",
		delivery:   "0q5gk1s2bnupeq2chg",
	}},
	{"postfix-global-expired.eml", want{ // the same delivery given up: failed with a 4.x.x status, soft
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"slow@example.test", "4.3.0", "", "mailererror", false}},
		messageID:  "0q5gk1s2bnupeq2chg@example.test",
		delivery:   "0q5gk1s2bnupeq2chg",
	}},
	{"postfix-plain-hostunknown.eml", want{ // Postfix without a report part; no status at all
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"grace@no-such-domain.example", "5.1.2", "", "hostunknown", true}},
		messageID:  "d44.s79@example.com",
	}},
	{"exim-mailboxfull.eml", want{ // Exim prose, X-Failed-Recipients, Envelope-to
		typ:         bounce.TypeBounce,
		recipients:  []wantRecipient{{"linus@example.co.uk", "5.2.2", "552", "mailboxfull", false}},
		messageID:   "d45.s80@example.com",
		deliveredTo: "bounces+d45.s80=example.com@bounces.example.com",
		delivery:    "d45",
	}},
	{"qmail-two-recipients.eml", want{ // qmail-send, two recipients, one temporary
		typ: bounce.TypeBounce,
		recipients: []wantRecipient{
			{"hopper@example.jp", "5.1.1", "550", "userunknown", true},
			{"knuth@example.jp", "4.2.2", "452", "mailboxfull", false},
		},
		messageID: "d46.s81@example.com",
	}},
	{"sendmail-transcript.eml", want{ // Sendmail report with transcript, refused after DATA
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"barbara@cs.example.edu", "5.7.1", "550", "spamdetected", false}},
		messageID:  "d47.s82@example.com",
	}},
	{"o365-recipientnotfound.eml", want{ // Office 365 NDR: alternative text+HTML, report, full return
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"margaret@contoso.example", "5.1.10", "550", "userunknown", true}},
		messageID:  "d48.s83@example.com",
		delivery:   "d48",
	}},
	{"gmail-prose-userunknown.eml", want{ // Gmail prose with a multi-line 550- reply
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"alan@example.org", "5.1.1", "550", "userunknown", true}},
		messageID:  "d49.s84@example.com",
	}},
	{"ses-dsn-blocked.eml", want{ // Amazon SES report: Action before Final-Recipient, RBL refusal
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"claude@example.net", "5.7.1", "554", "blocked", false}},
		messageID:  "d50.s85@example.com",
	}},
	{"ses-sns-bounce.eml", want{ // SES event through an SNS e-mail subscription (JSON)
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"edsger@example.nl", "5.1.1", "550", "userunknown", true}},
		messageID:  "d51.s86@example.com",
		delivery:   "d51",
	}},
	{"yahoo-prose-blocked.eml", want{ // Yahoo prose, policy refusal without a status
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"dennis@yahoo.com", "5.7.1", "554", "policyviolation", false}},
		messageID:  "d61.s96@example.com",
	}},
	{"dsn-nullmx.eml", want{ // RFC 7505 null MX
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"tony@parked.example", "5.1.10", "", "notaccept", true}},
	}},
	{"dsn-dmarc-crlf.eml", want{ // CRLF line ends; DMARC refusal is the sender's problem
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"radia@example.net", "5.7.26", "550", "authfailure", false}},
		messageID:  "d59.s94@example.com",
	}},
	{"broken-mime.eml", want{ // boundary parameter on an unindented line, closing boundary missing
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"barbara@example.biz", "5.1.1", "550", "userunknown", true}},
	}},
	{"unaddressed-notice.eml", want{ // prose names no address: the returned message's To does
		typ:        bounce.TypeBounce,
		recipients: []wantRecipient{{"yukihiro@mail.example.jp", "5.2.2", "", "mailboxfull", false}},
		messageID:  "d62.s97@example.com",
	}},
	{"dsn-delayed.eml", want{ // Action: delayed: a bounce that is only a delay
		typ:        bounce.TypeBounce,
		delayed:    true,
		recipients: []wantRecipient{{"john@slow.example.com", "4.4.1", "", "expired", false}},
		messageID:  "d55.s90@example.com",
	}},
	{"dsn-delivered.eml", want{ // success report (Action: relayed)
		typ:        bounce.TypeNone,
		recipients: []wantRecipient{{"grace@example.com", "2.0.0", "250", "delivered", false}},
	}},
	{"arf-abuse.eml", want{ // RFC 5965 feedback report
		typ:          bounce.TypeComplaint,
		recipients:   []wantRecipient{{"barbara@example-isp.net", "", "", "feedback", false}},
		messageID:    "d52.s87@example.com",
		feedbackType: "abuse",
		delivery:     "d52",
	}},
	{"jmrp-complaint.eml", want{ // Microsoft JMRP: no report part, recipient from the original's To
		typ:          bounce.TypeComplaint,
		recipients:   []wantRecipient{{"ken@outlook.example", "", "", "feedback", false}},
		messageID:    "d53.s88@example.com",
		feedbackType: "abuse",
	}},
	{"autoreply-ooo.eml", want{ // RFC 3834 auto-reply that names another address in its text
		typ:        bounce.TypeAutoReply,
		recipients: []wantRecipient{{"frances@example.org", "", "", "vacation", false}},
	}},
	{"not-bounce.eml", want{ // a reader's reply mentioning an address
		typ:        bounce.TypeNone,
		recipients: []wantRecipient{},
	}},
}

func TestParseFixtures(t *testing.T) {
	for _, tc := range fixtures {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := bounce.Parse(f)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.file, err)
			}
			got := want{
				typ:          res.Type,
				recipients:   []wantRecipient{},
				messageID:    res.OriginalMessageID,
				feedbackType: res.FeedbackType,
				delivery:     res.OriginalHeader("X-Dispatch-Delivery"),
				delayed:      res.Delayed,
			}
			for _, r := range res.Recipients {
				got.recipients = append(got.recipients, wantRecipient{r.Address, r.Status, r.ReplyCode, r.Reason, r.Hard})
			}
			if len(res.DeliveredTo) > 0 {
				got.deliveredTo = res.DeliveredTo[0]
			}
			w := tc.want
			if w.deliveredTo == "" {
				got.deliveredTo = ""
			}
			if w.recipients == nil {
				w.recipients = []wantRecipient{}
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("Parse(%s) =\n  %+v\nwant\n  %+v", tc.file, got, w)
			}
		})
	}
}

// TestFixturesCovered keeps the table and testdata in step.
func TestFixturesCovered(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range fixtures {
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("testdata/%s has no entry in the fixtures table", filepath.Base(f))
		}
	}
}

func TestRecipientsNeverNullInJSON(t *testing.T) {
	res, err := bounce.Parse(strings.NewReader("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"recipients":[]`) {
		t.Errorf("json.Marshal(Parse(plain message)) = %s; want recipients as []", b)
	}
	if res.Type != bounce.TypeNone {
		t.Errorf("Parse(plain message).Type = %q; want %q", res.Type, bounce.TypeNone)
	}
}

func TestParseRejectsNonMessages(t *testing.T) {
	for _, in := range []string{"", "\r\n\r\n", "   leading space is a continuation, not a field\n\nbody"} {
		if _, err := bounce.Parse(strings.NewReader(in)); !errors.Is(err, bounce.ErrNotMessage) {
			t.Errorf("Parse(%q) error = %v; want ErrNotMessage", in, err)
		}
	}
}

func TestHardReasons(t *testing.T) {
	for _, tc := range []struct {
		reason bounce.Reason
		hard   bool
	}{
		{bounce.ReasonUserUnknown, true},
		{bounce.ReasonHostUnknown, true},
		{bounce.ReasonHasMoved, true},
		{bounce.ReasonNotAccept, true},
		{bounce.ReasonMailboxFull, false},
		{bounce.ReasonAuthFailure, false},
		{bounce.ReasonBlocked, false},
		{bounce.ReasonExpired, false},
		{bounce.ReasonSuspend, false},
	} {
		if got := bounce.IsHard(tc.reason); got != tc.hard {
			t.Errorf("IsHard(%q) = %t; want %t", tc.reason, got, tc.hard)
		}
	}
}

func TestStatusForReason(t *testing.T) {
	for _, tc := range []struct {
		reason bounce.Reason
		class  byte
		want   string
	}{
		{bounce.ReasonUserUnknown, '5', "5.1.1"},
		{bounce.ReasonMailboxFull, '4', "4.2.2"},
		{bounce.ReasonExpired, '5', "5.4.7"},
		{bounce.ReasonNotAccept, '5', "5.1.10"},
		{"no-such-reason", '5', "5.0.0"},
		{bounce.ReasonBlocked, 'x', "5.7.1"},
	} {
		if got := bounce.StatusForReason(tc.reason, tc.class); got != tc.want {
			t.Errorf("StatusForReason(%q, %q) = %q; want %q", tc.reason, tc.class, got, tc.want)
		}
	}
}

// TestParseConcurrent runs Parse from several goroutines at once (the
// phrase index is shared and built on first use); with -race it checks
// that nothing shared is written.
func TestParseConcurrent(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	raws := make([][]byte, len(paths))
	serial := make([]string, len(paths))
	for i, p := range paths {
		if raws[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		res, err := bounce.ParseBytes(raws[i])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		serial[i] = string(b) + res.OriginalHeader("X-Dispatch-Delivery")
	}
	errs := make(chan string, 8*len(paths))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, raw := range raws {
				res, err := bounce.ParseBytes(raw)
				if err != nil {
					errs <- err.Error()
					continue
				}
				b, _ := json.Marshal(res)
				if got := string(b) + res.OriginalHeader("X-Dispatch-Delivery"); got != serial[i] {
					errs <- paths[i] + ": " + got
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Parse differs from serial: %s", e)
	}
}
