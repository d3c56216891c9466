package doctor_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/emersion/go-msgauth/dkim"
)

const plainMessage = "From: Briefing <briefing@example.com>\r\n" +
	"To: <client@example.org>\r\n" +
	"Subject: Weekly briefing\r\n" +
	"Message-ID: <d1.x@example.com>\r\n" +
	"List-Unsubscribe: <https://news.example.com/u/tok>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello.\r\n"

func sign(t *testing.T, msg string, keys []string) string {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: "example.com", Selector: "news", Signer: ed25519Key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed, HeaderKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestCheckMessage(t *testing.T) {
	all := []string{"From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"}
	cfg := &doctor.Config{From: "briefing@example.com", DKIM: &doctor.DKIM{Domain: "example.com", Selector: "news", Key: ed25519Key}}
	tests := []struct {
		name  string
		msg   func() string
		check string
		want  doctor.Status
		text  string
	}{
		{name: "SignedOK", msg: func() string { return sign(t, plainMessage, all) }, check: "dkim signature", want: doctor.OK},
		{name: "Unsigned", msg: func() string { return plainMessage }, check: "dkim signature", want: doctor.Fail, text: "no DKIM signature"},
		{name: "Tampered", msg: func() string {
			return strings.Replace(sign(t, plainMessage, all), "Weekly briefing", "Weekly briefing!", 1)
		}, check: "dkim signature", want: doctor.Fail, text: "does not verify"},
		{name: "ListHeadersNotSigned", msg: func() string { return sign(t, plainMessage, all[:4]) },
			check: "dkim signature", want: doctor.Fail, text: "List-Unsubscribe, List-Unsubscribe-Post"},
		{name: "OneFrom", msg: func() string { return plainMessage }, check: "from", want: doctor.OK},
		{name: "TwoFroms", msg: func() string { return "From: a@example.com\r\n" + plainMessage }, check: "from", want: doctor.Fail},
		{name: "MessageIDDomain", msg: func() string { return plainMessage }, check: "message-id", want: doctor.OK},
		{name: "MessageIDLocalHost", msg: func() string {
			return strings.Replace(plainMessage, "d1.x@example.com", "d1.x@buildbox", 1)
		}, check: "message-id", want: doctor.Warn},
		{name: "NoOneClick", msg: func() string {
			return strings.Replace(plainMessage, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "", 1)
		}, check: "list-unsubscribe", want: doctor.Fail},
		{name: "Small", msg: func() string { return plainMessage }, check: "size", want: doctor.OK},
		{name: "ClippedByGmail", msg: func() string { return plainMessage + strings.Repeat("x", 110*1024) },
			check: "size", want: doctor.Warn, text: "Gmail clips"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := find(t, doctor.CheckMessage(cfg, []byte(tc.msg())), tc.check)
			if got.Status != tc.want || !strings.Contains(got.Message, tc.text) {
				t.Errorf("%s = %v %q; want %v containing %q", tc.check, got.Status, got.Message, tc.want, tc.text)
			}
		})
	}
}
