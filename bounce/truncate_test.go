package bounce_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

// bigDSN builds a multipart/report naming n failed recipients.
func bigDSN(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@mx.example.org\r\nTo: bounces@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Final-Recipient: rfc822; user%d@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n", i)
	}
	b.WriteString("--B--\r\n")
	return b.Bytes()
}

// TestReportCapIsExplicit: a report larger than the parser reads is never
// passed off as complete: the result says it was cut, and counts the
// recipients it left out, so that reported plus dropped is the whole.
func TestReportCapIsExplicit(t *testing.T) {
	tests := []struct {
		name          string
		n             int
		wantTruncated bool
	}{
		{name: "Small", n: 3},
		{name: "JustUnderTheLimit", n: 12_000},
		{name: "HundredThousand", n: 100_000, wantTruncated: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := bounce.Parse(bytes.NewReader(bigDSN(tc.n)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Type != bounce.TypeBounce {
				t.Fatalf("type = %s; want bounce", res.Type)
			}
			if got := res.Truncated != ""; got != tc.wantTruncated {
				t.Fatalf("Truncated = %q; want truncated=%v", res.Truncated, tc.wantTruncated)
			}
			if got := len(res.Recipients) + res.DroppedRecipients; got != tc.n {
				t.Errorf("%d recipients + %d dropped = %d; want %d", len(res.Recipients), res.DroppedRecipients, got, tc.n)
			}
			if tc.wantTruncated {
				if !strings.Contains(res.Truncated, "delivery-status part larger than") || res.DroppedRecipients == 0 {
					t.Errorf("Truncated = %q, dropped %d", res.Truncated, res.DroppedRecipients)
				}
				// The cut keeps whole groups: no half address is reported.
				last := res.Recipients[len(res.Recipients)-1].Address
				if want := fmt.Sprintf("user%d@example.net", len(res.Recipients)-1); last != want {
					t.Errorf("last reported recipient = %q; want %q", last, want)
				}
			}
		})
	}
}

// TestMessageCapIsExplicit: a message larger than Parse reads says so.
func TestMessageCapIsExplicit(t *testing.T) {
	raw := bigDSN(1)
	raw = append(raw, bytes.Repeat([]byte("x"), 17<<20)...)
	res, err := bounce.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Truncated, "message larger than") {
		t.Errorf("Truncated = %q; want the message limit named", res.Truncated)
	}
}
