package mailer

import (
	"strings"
	"testing"
)

// TestAuthHintNamesTheRecord: a refusal as not authenticated names the
// DNS record to fix, with the sender's own domains and DKIM selector.
func TestAuthHintNamesTheRecord(t *testing.T) {
	s := &Sender{cfg: Config{DKIM: &DKIM{Domain: "example.com", Selector: "s2026"}}}
	r := s.authRecords(headerSet{bounceAddress: "bounces@mail.example.com", domain: "example.com"})
	for _, tc := range []struct {
		status string
		want   []string
	}{
		{status: "5.7.515", want: []string{"Outlook.com", "SPF TXT record of mail.example.com", "s2026._domainkey.example.com", "_dmarc.example.com"}},
		{status: "5.7.26", want: []string{"neither SPF nor DKIM", "s2026._domainkey.example.com", "_dmarc.example.com"}},
		{status: "4.7.23", want: []string{"PTR record"}},
		{status: "4.7.27", want: []string{"SPF did not pass", "SPF TXT record of mail.example.com"}},
		{status: "4.7.29", want: []string{"TLS"}},
		{status: "4.7.30", want: []string{"DKIM did not pass", "s2026._domainkey.example.com"}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			got := r.hint(tc.status)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("hint(%s) = %q; want it to name %q", tc.status, got, w)
				}
			}
			if !strings.Contains(got, "dispatch doctor") {
				t.Errorf("hint(%s) = %q; want it to point at dispatch doctor", tc.status, got)
			}
		})
	}
	noKey := (&Sender{}).authRecords(headerSet{bounceAddress: "news@example.org", domain: "example.org"})
	if got := noKey.hint("5.7.26"); !strings.Contains(got, "SELECTOR._domainkey.example.org") {
		t.Errorf("hint without DKIM configured = %q; want the record's place named with a placeholder selector", got)
	}
}
