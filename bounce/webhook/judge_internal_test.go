package webhook

import "testing"

// TestJudged: providers' permanent failures go through the shared
// classifier; a block or policy refusal is never a hard bounce.
func TestJudged(t *testing.T) {
	tests := []struct {
		kind    Kind
		status  string
		text    string
		address bool
		want    Kind
	}{
		{KindHard, "5.1.1", "smtp; 550 5.1.1 user unknown", false, KindHard},
		{KindHard, "5.7.1", "smtp; 553 5.7.1 <bounces+x@example.test>: Sender address rejected: not owned by user newsletter", false, KindRefused},
		{KindHard, "5.7.26", "550 5.7.26 Unauthenticated email from example.test is not accepted due to domain's DMARC policy", false, KindRefused},
		{KindHard, "5.7.515", "550 5.7.515 Access denied, sending domain example.test doesn't meet the required authentication level", false, KindRefused},
		{KindHard, "5.7.1", "554 5.7.1 Message rejected under local policy", false, KindRefused},
		{KindHard, "5.0.0", "550 5.0.0 rejected", false, KindSoft}, // no evidence about the address
		{KindHard, "", "", true, KindHard},                             // the provider's finding about the address
		{KindHard, "5.2.2", "552 5.2.2 mailbox full", false, KindSoft}, // full is not dead
		{KindSoft, "4.2.2", "452 4.2.2 mailbox full", false, KindSoft}, // transient stays soft
		{KindComplaint, "", "abuse", false, KindComplaint},             // not a failure
		{KindSoft, "5.7.1", "550 5.7.1 blocked using zen.spamhaus.org", false, KindRefused},
	}
	for _, tc := range tests {
		if got := judged(tc.kind, tc.status, tc.text, tc.address); got != tc.want {
			t.Errorf("judged(%s, %s, %q, %t) = %s; want %s", tc.kind, tc.status, tc.text, tc.address, got, tc.want)
		}
	}
}
