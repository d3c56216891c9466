package mailer

import (
	"context"
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestPipelineRFC2920Examples replays the server's side of the examples
// of RFC 2920 (section 3.2, and the 503 of section 3.1), word for word,
// then sends a second message on the same connection: each reply is
// matched to its command, the DATA refusal after a refused envelope is
// not the outcome, and the connection stays in step. With CHUNKING the
// same replies answer BDAT (RFC 3030).
func TestPipelineRFC2920Examples(t *testing.T) {
	tests := []struct {
		name     string
		replies  map[string]string // by verb, for the first transaction
		wantStep step
		wantCode int // 0: sent
	}{
		{"accepted", map[string]string{
			"MAIL": "250 sender <mrose@dbc.mtview.ca.us> OK",
			"RCPT": "250 recipient <ned@innosoft.com> OK",
			"DATA": `354 enter mail, end with line containing only "."`,
			".":    "250 message sent",
			"BDAT": "250 message sent",
		}, 0, 0},
		{"recipient refused, DATA 554", map[string]string{
			"MAIL": "250 sender <mrose@dbc.mtview.ca.us> OK",
			"RCPT": "550 remote mail to <dan@innsoft.com> not allowed",
			"DATA": "554 no valid recipients given",
			"BDAT": "554 no valid recipients given",
		}, stepRcpt, 550},
		{"recipient refused, DATA 503", map[string]string{
			"RCPT": "550 remote mail to <dan@innsoft.com> not allowed",
			"DATA": "503 no valid recipients",
			"BDAT": "503 no valid recipients",
		}, stepRcpt, 550},
		{"sender refused", map[string]string{
			"MAIL": "550 5.7.1 sender <mrose@dbc.mtview.ca.us> not allowed",
			"RCPT": "503 5.5.1 sender not yet given",
			"DATA": "503 5.5.1 no valid recipients",
			"BDAT": "503 5.5.1 no valid recipients",
		}, stepMail, 550},
		{"recipient deferred", map[string]string{
			"RCPT": "451 4.7.1 greylisted, try again later",
			"DATA": "554 no valid recipients given",
			"BDAT": "554 no valid recipients given",
		}, stepRcpt, 451},
		{"message refused at its end", map[string]string{
			".":    "554 5.7.1 message content rejected",
			"BDAT": "554 5.7.1 message content rejected",
		}, stepEnd, 554},
	}
	for _, chunking := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			ext := []string{"PIPELINING"}
			if chunking {
				name += "/BDAT"
				ext = append(ext, "CHUNKING")
			}
			t.Run(name, func(t *testing.T) {
				srv := smtptest.NewScripted(t, ext...)
				for verb, reply := range tc.replies {
					srv.On(verb, 1, smtptest.Act{Reply: reply})
				}
				r := Relay{Host: srv.Host(), Port: srv.Port(), TLS: tlsmode.None, Timeout: 5 * time.Second, Chunking: chunking}
				cn := &conn{relay: &relayState{cfg: r, name: r.name()}, idle: time.Minute}
				defer cn.close()
				if err := cn.ensure(context.Background(), time.Now()); err != nil {
					t.Fatal(err)
				}
				if !cn.ext.pipelining || cn.ext.chunking != chunking {
					t.Fatalf("extensions = %+v; want pipelining, chunking %v", cn.ext, chunking)
				}
				err := cn.send(testMsg("ned@innosoft.com"), time.Now())
				var se *sendError
				var reply *textproto.Error
				switch {
				case tc.wantCode == 0 && err != nil:
					t.Fatalf("first message: %v; want sent", err)
				case tc.wantCode != 0 && (!errors.As(err, &se) || !errors.As(err, &reply)):
					t.Fatalf("first message: %v; want a refusal at %s", err, tc.wantStep)
				case tc.wantCode != 0 && (se.step != tc.wantStep || reply.Code != tc.wantCode):
					t.Fatalf("first message: %v; want %d at %s", err, tc.wantCode, tc.wantStep)
				}
				cn.dropIfReset(classify(err))
				if cn.sc == nil {
					t.Fatal("the connection was dropped")
				}
				if err := cn.send(testMsg("dan@innosoft.com"), time.Now()); err != nil {
					t.Fatalf("second message on the same connection: %v", err)
				}
				msgs := srv.Messages()
				if n := 1 + min(tc.wantCode, 1); len(msgs) != 3-n || msgs[len(msgs)-1].To[0] != "dan@innosoft.com" ||
					!strings.HasSuffix(string(msgs[len(msgs)-1].Data), "\r\nhello\r\n") || msgs[len(msgs)-1].Conn != 1 {
					t.Errorf("server has %+v; want the second message intact on connection 1", msgs)
				}
				var lines []string
				for _, c := range srv.Commands() {
					if !c.Pipelined && !strings.HasPrefix(c.Line, "EHLO") && !strings.HasPrefix(c.Line, "RSET") &&
						!strings.HasPrefix(c.Line, "DATA") && !strings.HasPrefix(c.Line, "BDAT") {
						t.Errorf("%q was not pipelined", c.Line)
					}
					verb, _, _ := strings.Cut(c.Line, " ")
					lines = append(lines, verb)
				}
				wantLines := "EHLO MAIL RCPT DATA MAIL RCPT DATA"
				if tc.wantCode != 0 && tc.wantStep <= stepRcpt {
					wantLines = "EHLO MAIL RCPT DATA RSET MAIL RCPT DATA" // a refused envelope is reset
				}
				if chunking {
					wantLines = strings.ReplaceAll(wantLines, "DATA", "BDAT")
				}
				if got := strings.Join(lines, " "); got != wantLines {
					t.Errorf("server read %s; want %s", got, wantLines)
				}
			})
		}
	}
}
