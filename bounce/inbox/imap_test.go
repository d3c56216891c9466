package inbox_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

const (
	imapUser = "bounces"
	imapPass = "imap-secret"
)

// imapServer is a real IMAP server on 127.0.0.1 backed by memory.
type imapServer struct {
	t    *testing.T
	user *imapmemserver.User
	cfg  inbox.IMAPConfig // for the client
}

// startIMAP starts a server for the security mode; rev2 adds IMAP4rev2
// (MOVE, UIDPLUS) to IMAP4rev1.
func startIMAP(t *testing.T, mode tlsmode.Mode, rev2 bool) *imapServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(imapUser, imapPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if rev2 {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: mode == tlsmode.None,
		Logger:       log.New(io.Discard, "", 0),
	}
	if mode == tlsmode.StartTLS {
		opts.TLSConfig = tlsCfg
	}
	srv := imapserver.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if mode == tlsmode.Implicit {
		ln = tls.NewListener(ln, tlsCfg)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return &imapServer{t: t, user: user, cfg: inbox.IMAPConfig{
		Host: host, Port: p, Username: imapUser, Password: imapPass, TLS: mode, InsecureSkipVerify: true,
	}}
}

func (s *imapServer) append(mailbox string, raw []byte) {
	s.t.Helper()
	if _, err := s.user.Append(mailbox, bytes.NewReader(crlf(raw)), &imap.AppendOptions{}); err != nil {
		s.t.Fatalf("append to %s: %v", mailbox, err)
	}
}

// counts returns how many messages a mailbox holds and how many are unseen.
func (s *imapServer) counts(mailbox string) (n, unseen uint32) {
	s.t.Helper()
	st, err := s.user.Status(mailbox, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		s.t.Fatalf("status %s: %v", mailbox, err)
	}
	return *st.NumMessages, *st.NumUnseen
}

// crlf gives a message the line endings IMAP servers store.
func crlf(raw []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// selfSigned makes a certificate for 127.0.0.1 that only
// InsecureSkipVerify accepts.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "imap.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// appendMix puts a hard bounce, a complaint, an auto-reply and a mailto
// unsubscribe into the mailbox.
func appendMix(e *env, s *imapServer, mailbox string) {
	s.append(mailbox, fixture(e.t, "postfix-hard.eml", e.vars("ada@example.net")))
	s.append(mailbox, fixture(e.t, "arf-abuse.eml", e.vars("fay@example.net")))
	s.append(mailbox, fixture(e.t, "autoreply-ooo.eml", e.vars("hal@example.net")))
	s.append(mailbox, fixture(e.t, "mailto-unsubscribe.eml", e.vars("gus@example.net")))
}

var mixSummary = inbox.Summary{Messages: 4, Bounces: 1, Complaints: 1, AutoReplies: 1, Unsubscribes: 1}

func (e *env) checkMixApplied() {
	e.t.Helper()
	if got := e.status("ada@example.net"); got != subscribers.StatusBounced {
		e.t.Errorf("ada = %s; want bounced", got)
	}
	if got := e.status("fay@example.net"); got != subscribers.StatusComplained {
		e.t.Errorf("fay = %s; want complained", got)
	}
	if got := e.subscription("gus@example.net", listName); got != subscribers.Unsubscribed {
		e.t.Errorf("gus on %s = %s; want unsubscribed", listName, got)
	}
	if got := e.status("hal@example.net"); got != subscribers.StatusActive {
		e.t.Errorf("hal = %s; want active", got)
	}
}

func TestPollIMAPFlagsProcessedMessagesSeen(t *testing.T) {
	for _, mode := range []tlsmode.Mode{tlsmode.None, tlsmode.StartTLS, tlsmode.Implicit} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t)
			s := startIMAP(t, mode, true)
			appendMix(e, s, "INBOX")

			var sources []string
			sum, err := e.proc.PollIMAP(e.ctx, s.cfg, func(o inbox.Outcome) { sources = append(sources, o.Source) })
			if err != nil {
				t.Fatal(err)
			}
			if sum != mixSummary {
				t.Errorf("first poll = %+v; want %+v", sum, mixSummary)
			}
			if len(sources) != 4 || sources[0] != "imap:INBOX/1" {
				t.Errorf("sources = %q; want imap:INBOX/1 to /4", sources)
			}
			e.checkMixApplied()
			if n, unseen := s.counts("INBOX"); n != 4 || unseen != 0 {
				t.Errorf("INBOX holds %d, %d unseen; want 4, 0", n, unseen)
			}

			sum, err = e.proc.PollIMAP(e.ctx, s.cfg, nil)
			if err != nil || sum != (inbox.Summary{}) {
				t.Errorf("second poll = %+v, %v; want nothing processed", sum, err)
			}

			// The same bounce delivered again, and a new one.
			s.append("INBOX", fixture(t, "postfix-hard.eml", e.vars("ada@example.net")))
			s.append("INBOX", fixture(t, "exchange-hard.eml", e.vars("bob@example.net")))
			sum, err = e.proc.PollIMAP(e.ctx, s.cfg, nil)
			if want := (inbox.Summary{Messages: 2, Bounces: 1, Duplicates: 1}); err != nil || sum != want {
				t.Errorf("third poll = %+v, %v; want %+v", sum, err, want)
			}
			if got := len(e.bounces("ada@example.net")); got != 1 {
				t.Errorf("ada has %d bounce rows; want 1", got)
			}
		})
	}
}

func TestPollIMAPMovesProcessedMessages(t *testing.T) {
	// IMAP4rev1 only: the client moves with COPY, STORE and EXPUNGE.
	for _, rev2 := range []bool{false, true} {
		t.Run("rev2="+strconv.FormatBool(rev2), func(t *testing.T) {
			e := newEnv(t)
			s := startIMAP(t, tlsmode.None, rev2)
			appendMix(e, s, "INBOX")
			cfg := s.cfg
			cfg.Processed = "Processed"

			sum, err := e.proc.PollIMAP(e.ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum != mixSummary {
				t.Errorf("first poll = %+v; want %+v", sum, mixSummary)
			}
			e.checkMixApplied()
			if n, _ := s.counts("INBOX"); n != 0 {
				t.Errorf("INBOX holds %d; want 0", n)
			}
			if n, _ := s.counts("Processed"); n != 4 {
				t.Errorf("Processed holds %d; want 4", n)
			}
			sum, err = e.proc.PollIMAP(e.ctx, cfg, nil)
			if err != nil || sum != (inbox.Summary{}) {
				t.Errorf("second poll = %+v, %v; want nothing processed", sum, err)
			}
		})
	}
}

func TestPollIMAPLeavesMessagesItCouldNotApply(t *testing.T) {
	e := newEnv(t)
	s := startIMAP(t, tlsmode.None, true)
	appendMix(e, s, "INBOX")
	s.append("INBOX", []byte("\x00 not a message at all\n"))

	// A store that is gone: every message fails.
	broken, err := sqlite.Open(e.ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	broken.Close()
	sum, err := e.newProcessor(broken).PollIMAP(e.ctx, s.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The auto-reply needs no store; the rest fail.
	if want := (inbox.Summary{Messages: 5, AutoReplies: 1, Errors: 4}); sum != want {
		t.Errorf("poll with a closed store = %+v; want %+v", sum, want)
	}
	// Store failures stay for the next pass; the junk, which no retry can
	// fix, does not.
	if _, unseen := s.counts("INBOX"); unseen != 3 {
		t.Errorf("%d unseen after the failed pass; want 3", unseen)
	}

	sum, err = e.proc.PollIMAP(e.ctx, s.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.Summary{Messages: 3, Bounces: 1, Complaints: 1, Unsubscribes: 1}); sum != want {
		t.Errorf("retry = %+v; want %+v", sum, want)
	}
	e.checkMixApplied()
}

func TestPollIMAPErrors(t *testing.T) {
	e := newEnv(t)
	s := startIMAP(t, tlsmode.None, true)
	tests := []struct {
		name string
		edit func(c *inbox.IMAPConfig)
	}{
		{"wrong password", func(c *inbox.IMAPConfig) { c.Password = "nope" }},
		{"no such mailbox", func(c *inbox.IMAPConfig) { c.Mailbox = "Missing" }},
		{"tls against a plain server", func(c *inbox.IMAPConfig) { c.TLS = tlsmode.Implicit }},
		{"unknown tls mode", func(c *inbox.IMAPConfig) { c.TLS = tlsmode.Mode(9) }},
		{"no host", func(c *inbox.IMAPConfig) { c.Host = "" }},
		{"processed is the polled mailbox", func(c *inbox.IMAPConfig) { c.Processed = "INBOX" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := s.cfg
			tc.edit(&cfg)
			ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
			defer cancel()
			if _, err := e.proc.PollIMAP(ctx, cfg, nil); err == nil {
				t.Error("PollIMAP = nil error; want one")
			}
		})
	}
}

func TestPollIMAPWithCertificateVerification(t *testing.T) {
	e := newEnv(t)
	s := startIMAP(t, tlsmode.Implicit, true)
	cfg := s.cfg
	cfg.InsecureSkipVerify = false
	if _, err := e.proc.PollIMAP(e.ctx, cfg, nil); err == nil {
		t.Error("PollIMAP accepted a self-signed certificate without InsecureSkipVerify")
	}
}

func TestRunIMAPPollsUntilCancelled(t *testing.T) {
	e := newEnv(t)
	s := startIMAP(t, tlsmode.None, true)
	cfg := s.cfg
	// The mailbox does not exist yet: the first passes fail and are
	// logged, and the loop carries on.
	cfg.Mailbox = "Bounces"
	cfg.Interval = 10 * time.Millisecond
	var polled atomic.Int64
	cfg.Polled = func(time.Time) { polled.Add(1) }

	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	outcomes := make(chan inbox.Outcome, 10)
	done := make(chan error, 1)
	go func() { done <- e.proc.RunIMAP(ctx, cfg, func(o inbox.Outcome) { outcomes <- o }) }()

	waitFor(t, ctx, func() bool { return bytes.Contains([]byte(e.logs.String()), []byte("poll failed")) })
	if n := polled.Load(); n != 0 {
		t.Errorf("Polled called %d times while every pass failed", n)
	}
	if err := s.user.Create("Bounces", nil); err != nil {
		t.Fatal(err)
	}
	s.append("Bounces", fixture(t, "postfix-hard.eml", e.vars("ada@example.net")))
	select {
	case o := <-outcomes:
		if o.Type != "bounce" || len(o.Recipients) != 1 || o.Recipients[0].Suppressed != subscribers.StatusBounced {
			t.Errorf("outcome = %+v; want ada's hard bounce", o)
		}
	case <-ctx.Done():
		t.Fatal("RunIMAP processed nothing")
	}
	waitFor(t, ctx, func() bool { return polled.Load() > 0 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunIMAP = %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunIMAP did not return after cancel")
	}
	select {
	case o := <-outcomes:
		t.Errorf("the message was processed twice: %+v", o)
	default:
	}
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met before the deadline")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
