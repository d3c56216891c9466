package mailer_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// pipelineWant is the ledger's record of the second of three messages
// (user1@example.com), which the case disturbs, and what the run did.
type pipelineWant struct {
	status   subscribers.DeliveryStatus
	attempts int
	bounced  bool // the subscriber is suppressed as a hard bounce
	dups     int  // the campaign's possible duplicates
	copies   int  // messages to user1 the server holds
	failed   int  // the run's failures: a refused DATA after a refused RCPT is not one
	retried  int
	// newConn: the third message went on another connection than the
	// first, because the fault broke or reset the connection.
	newConn bool
}

// pipelineCase is one fault, set up on the go-smtp server (which
// advertises PIPELINING) and on the scripted server.
type pipelineCase struct {
	name     string
	gosmtp   func(*smtptest.Server) // nil: not possible with go-smtp
	scripted func(*smtptest.Scripted)
	// extensions the scripted server advertises; nil means PIPELINING
	// and 8BITMIME.
	extensions []string
	want       pipelineWant
	// gosmtpWant replaces want for go-smtp when it differs.
	gosmtpWant *pipelineWant
	// bdatWant replaces want for go-smtp with Relay.Chunking, when it
	// differs: any of them; bdatSkip: the fault needs DATA.
	bdatWant []pipelineWant
	bdatSkip bool
}

var pipelineCases = []pipelineCase{
	{
		name:     "refused MAIL",
		gosmtp:   func(s *smtptest.Server) { s.FailNthMailFrom(2, 550, "5.7.1", "sender rejected") },
		scripted: func(s *smtptest.Scripted) { s.On("MAIL", 2, smtptest.Act{Reply: "550 5.7.1 sender rejected"}) },
		want:     pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, failed: 1},
	},
	{
		name:     "one refused RCPT",
		gosmtp:   func(s *smtptest.Server) { s.FailRcpt("user1@example.com", 550, "5.1.1", "user unknown") },
		scripted: func(s *smtptest.Scripted) { s.On("RCPT", 2, smtptest.Act{Reply: "550 5.1.1 user unknown"}) },
		want:     pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, bounced: true, failed: 1},
	},
	{
		name:     "4xx RCPT",
		gosmtp:   func(s *smtptest.Server) { s.FailRcptTimes("user1@example.com", 1, 451, "4.7.1", "greylisted") },
		scripted: func(s *smtptest.Scripted) { s.On("RCPT", 2, smtptest.Act{Reply: "451 4.7.1 greylisted"}) },
		want:     pipelineWant{status: subscribers.DeliverySent, attempts: 2, copies: 1, retried: 1},
	},
	{
		// go-smtp cannot refuse the DATA command of a transaction with a
		// recipient: its case is the refusal of the message at its end.
		name:       "DATA refused",
		gosmtp:     func(s *smtptest.Server) { s.FailData("user1@example.com", 554, "5.7.1", "rejected by policy") },
		scripted:   func(s *smtptest.Scripted) { s.On("DATA", 2, smtptest.Act{Reply: "554 5.7.1 rejected by policy"}) },
		want:       pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, failed: 1, newConn: true},
		gosmtpWant: &pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, failed: 1},
	},
	{
		name:     "dropped after the envelope",
		gosmtp:   func(s *smtptest.Server) { s.DropOnRcpt("user1@example.com", 1) },
		scripted: func(s *smtptest.Scripted) { s.On("RCPT", 2, smtptest.Act{Drop: true}) },
		want:     pipelineWant{status: subscribers.DeliverySent, attempts: 2, copies: 1, retried: 1, newConn: true},
		// With BDAT the message goes out with the envelope. If the write
		// was complete, no telling whether the server took it: a possible
		// duplicate. If the drop cut the write short (the server resets
		// while the client is still writing, which timing decides), the
		// server cannot have the message: requeued, no attempt spent.
		bdatWant: []pipelineWant{
			{status: subscribers.DeliverySent, attempts: 2, copies: 1, dups: 1, retried: 1, newConn: true},
			{status: subscribers.DeliverySent, attempts: 1, copies: 1, newConn: true},
		},
	},
	{
		name:     "dropped after DATA",
		gosmtp:   func(s *smtptest.Server) { s.DropOnData("user1@example.com", 1) },
		scripted: func(s *smtptest.Scripted) { s.On("DATA", 2, smtptest.Act{Drop: true}) },
		want:     pipelineWant{status: subscribers.DeliverySent, attempts: 2, copies: 1, retried: 1, newConn: true},
		bdatSkip: true,
	},
	{
		// The server kept the message and never said so: it is sent
		// again and counted as a possible duplicate.
		name:     "dropped after the body",
		gosmtp:   func(s *smtptest.Server) { s.DropAfterBody("user1@example.com", 1) },
		scripted: func(s *smtptest.Scripted) { s.On(".", 2, smtptest.Act{Drop: true}) },
		want:     pipelineWant{status: subscribers.DeliverySent, attempts: 2, copies: 2, dups: 1, retried: 1, newConn: true},
	},
	{
		// Every reply comes late, one at a time; a refused RCPT among
		// them must still be matched to its command.
		name: "PIPELINING but slow answers",
		gosmtp: func(s *smtptest.Server) {
			s.SetReplyDelay(20 * time.Millisecond)
			s.FailRcpt("user1@example.com", 550, "5.1.1", "user unknown")
		},
		scripted: func(s *smtptest.Scripted) {
			s.SetDelay(20 * time.Millisecond)
			s.On("RCPT", 2, smtptest.Act{Reply: "550 5.1.1 user unknown"})
		},
		want: pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, bounced: true, failed: 1},
	},
	{
		name: "PIPELINING not advertised",
		gosmtp: func(s *smtptest.Server) {
			s.FailRcpt("user1@example.com", 550, "5.1.1", "user unknown")
		},
		scripted:   func(s *smtptest.Scripted) { s.On("RCPT", 2, smtptest.Act{Reply: "550 5.1.1 user unknown"}) },
		extensions: []string{"8BITMIME"},
		want:       pipelineWant{status: subscribers.DeliveryFailed, attempts: 1, bounced: true, failed: 1},
	},
}

// TestPipelinedTransactionsGoSMTP runs each fault against go-smtp: the
// ledger records the outcome the lockstep transaction would, and the next
// message goes through.
//
// With Relay.Chunking the message goes as BDAT with its envelope (go-smtp
// offers CHUNKING), and the same faults give the same outcomes, but for a
// connection lost after the envelope: the message had gone out too.
func TestPipelinedTransactionsGoSMTP(t *testing.T) {
	for _, chunking := range []bool{false, true} {
		for _, tc := range pipelineCases {
			name := tc.name
			if chunking {
				name += "/BDAT"
			}
			if chunking && tc.bdatSkip {
				continue // BDAT has no DATA command to drop the connection on
			}
			t.Run(name, func(t *testing.T) {
				var opts []smtptest.Option
				if tc.extensions != nil {
					opts = append(opts, smtptest.HideExtensions("PIPELINING"))
				}
				e := newEnv(t, 3, opts...)
				tc.gosmtp(e.srv)
				wants := []pipelineWant{tc.want}
				if tc.gosmtpWant != nil {
					wants = []pipelineWant{*tc.gosmtpWant}
				}
				if chunking && tc.bdatWant != nil {
					wants = tc.bdatWant
				}
				r := e.relay(1)
				r.Chunking = chunking
				checkPipelineCase(t, e, r, e.srv.Messages, wants...)
				cmds := e.srv.Stats().Commands
				if bdat := chunking && tc.extensions == nil; (cmds["BDAT"] > 0) != bdat || (cmds["DATA"] > 0) == bdat {
					t.Errorf("commands = %v; want BDAT = %v", cmds, bdat)
				}
			})
		}
	}
}

// TestPipelinedTransactionsScripted runs each fault against the scripted
// server, which also shows how the commands came over the wire.
func TestPipelinedTransactionsScripted(t *testing.T) {
	for _, tc := range pipelineCases {
		t.Run(tc.name, func(t *testing.T) {
			ext := tc.extensions
			if ext == nil {
				ext = []string{"PIPELINING", "8BITMIME"}
			}
			srv := smtptest.NewScripted(t, ext...)
			tc.scripted(srv)
			e := newEnv(t, 3)
			r := e.relay(1)
			r.Host, r.Port = srv.Host(), srv.Port()
			checkPipelineCase(t, e, r, srv.Messages, tc.want)

			pipelined := tc.extensions == nil
			for _, c := range srv.Commands() {
				verb, _, _ := strings.Cut(c.Line, " ")
				// MAIL and RCPT come in one write with DATA when
				// pipelining, each on its own otherwise.
				if (verb == "MAIL" || verb == "RCPT") && c.Pipelined != pipelined {
					t.Errorf("%q pipelined = %v; want %v", c.Line, c.Pipelined, pipelined)
				}
				if verb == "MAIL" && !strings.HasSuffix(c.Line, "> BODY=8BITMIME") {
					t.Errorf("%q: want the BODY=8BITMIME go-mail sends", c.Line)
				}
			}
		})
	}
}

// checkPipelineCase runs the campaign and checks that the ledger and the
// server show one of the outcomes wanted, and that the other two
// messages arrived intact.
func checkPipelineCase(t *testing.T, e *env, r mailer.Relay, messages func() []smtptest.Message, wants ...pipelineWant) {
	t.Helper()
	res, err := e.run(t, context.Background(), e.config(r))
	if err != nil {
		t.Fatal(err)
	}
	d := e.delivery(t, "user1@example.com")
	sub, err := e.store.FindSubscriberByEmail(context.Background(), "user1@example.com")
	if err != nil {
		t.Fatal(err)
	}
	st := e.stats(t)
	byTo := map[string][]smtptest.Message{}
	for _, m := range messages() {
		if len(m.To) != 1 {
			t.Fatalf("message to %v; want one recipient each", m.To)
		}
		byTo[m.To[0]] = append(byTo[m.To[0]], m)
	}
	for _, who := range []string{"user0", "user2"} {
		got := byTo[who+"@example.com"]
		if len(got) != 1 {
			t.Fatalf("server holds %d messages to %s; want 1", len(got), who)
		}
		if name := "User " + who[4:]; !strings.Contains(string(got[0].Data), name) || !strings.HasPrefix(got[0].From, "bounces+") {
			t.Errorf("message to %s from %q does not greet %q:\n%s", who, got[0].From, name, got[0].Data)
		}
	}
	got := pipelineWant{status: d.Status, attempts: d.Attempts, bounced: sub.Status == subscribers.StatusBounced,
		dups: st.PossibleDuplicates, copies: len(byTo["user1@example.com"]), failed: res.Failed, retried: res.Retried,
		newConn: byTo["user2@example.com"][0].Conn != byTo["user0@example.com"][0].Conn}
	if res.Ambiguous != st.PossibleDuplicates || res.Sent != 2+min(got.copies, 1) || !st.Done() {
		t.Errorf("run = %+v, campaign = %+v; want the ambiguous ones counted as possible duplicates, done", res, st)
	}
	for _, want := range wants {
		if got == want {
			return
		}
	}
	t.Errorf("outcome = %+v (user1's delivery %s, %q);\nwant one of %+v", got, d.Status, d.LastError, wants)
}

// TestRelayRTTIsTimedOnEHLO: the run reports the round trip to the relay,
// timed on EHLO, in its progress and its result; through a proxy that
// delays each direction by 5ms it is at least 10ms.
func TestRelayRTTIsTimedOnEHLO(t *testing.T) {
	const oneWay = 5 * time.Millisecond
	e := newEnv(t, 3)
	p := smtptest.NewLatencyProxy(t, e.srv.Addr(), oneWay)
	r := e.relay(2)
	r.Host, r.Port = p.Host(), p.Port()
	s, err := mailer.New(e.config(r), e.store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StartCampaignRun(context.Background(), e.campaign.ID); err != nil {
		t.Fatal(err)
	}
	var last mailer.Progress
	res, err := s.Run(context.Background(), mailer.Campaign{ID: e.campaign.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue},
		func(p mailer.Progress) { last = p })
	if err != nil || res.Sent != 3 {
		t.Fatalf("run = %+v, %v; want 3 sent", res, err)
	}
	if res.RelayRTT < 2*oneWay || last.RelayRTT != res.RelayRTT {
		t.Errorf("relay RTT = %s (progress %s); want at least %s, the same in both", res.RelayRTT, last.RelayRTT, 2*oneWay)
	}
	if got := res.RelayRTTs[r.Host+":"+strconv.Itoa(r.Port)]; got != res.RelayRTT || len(res.RelayRTTs) != 1 {
		t.Errorf("per relay = %v; want the one relay's %s", res.RelayRTTs, res.RelayRTT)
	}
}

// TestBeginCommitsBeforePipelinedBytes: when the relay reads the
// pipelined MAIL FROM, the delivery is already "sending" in the database,
// so a crash from then on counts it as a possible duplicate, never as
// unsent.
func TestBeginCommitsBeforePipelinedBytes(t *testing.T) {
	srv := smtptest.NewScripted(t, "PIPELINING", "8BITMIME")
	hold := make(chan struct{})
	srv.On("MAIL", 1, smtptest.Act{Reply: "250 2.1.0 OK", Hold: hold})
	e := newEnv(t, 1)
	r := e.relay(1)
	r.Host, r.Port = srv.Host(), srv.Port()
	type result struct {
		res *mailer.RunResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := e.run(t, context.Background(), e.config(r))
		done <- result{res, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !hasMail(srv.Commands()) {
		if time.Now().After(deadline) {
			close(hold)
			t.Fatal("the server never read a pipelined MAIL FROM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := e.delivery(t, "user0@example.com")
	close(hold)
	if d.Status != subscribers.DeliverySending {
		t.Errorf("delivery while the relay holds its MAIL reply = %s; want sending", d.Status)
	}
	got := <-done
	if got.err != nil || got.res.Sent != 1 {
		t.Fatalf("run = %+v, %v; want 1 sent", got.res, got.err)
	}
	if d := e.delivery(t, "user0@example.com"); d.Status != subscribers.DeliverySent {
		t.Errorf("delivery after the run = %s; want sent", d.Status)
	}
}

func hasMail(cmds []smtptest.Command) bool {
	for _, c := range cmds {
		if strings.HasPrefix(c.Line, "MAIL ") {
			return c.Pipelined
		}
	}
	return false
}
