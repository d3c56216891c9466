package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/dispatchhq/dispatch/internal/smtpserve"
)

// Message is one message the server accepted.
type Message struct {
	From     string   // MAIL FROM address (the envelope sender), "" for <>
	To       []string // RCPT TO addresses in the order given
	Data     []byte   // the message as received, CRLF line endings; nil with DiscardBodies
	Size     int      // length of the message in bytes, kept with DiscardBodies too
	Received time.Time
	Conn     int    // serial number of the connection, from 1
	TLS      bool   // the connection was encrypted
	User     string // the AUTH username, "" without AUTH
	SMTPUTF8 bool   // MAIL FROM carried the SMTPUTF8 parameter (RFC 6531)
}

// Stats counts what the server saw since it started or since Reset.
type Stats struct {
	Connections   int // connections accepted
	Open          int // connections open now
	MaxConcurrent int // most connections open at the same time
	Messages      int // messages accepted
	Rejected      int // MAIL, RCPT and end-of-DATA commands refused
	Dropped       int // connections closed by DropOnRcpt or DropAfterMessages
	TurnedAway    int // connections greeted with 421 by SetUnavailable
	// Commands counts commands by upper-case verb: "NOOP", "RSET", "MAIL"…
	// Only plain-text traffic is seen: nothing after STARTTLS and nothing
	// with implicit TLS.
	Commands map[string]int
}

// Server is a running SMTP server on 127.0.0.1. All its methods are safe for
// concurrent use, including while clients are sending.
type Server struct {
	cfg     Config
	life    *smtpserve.Server // listening, Down and Up, Close
	port    int
	tlsConf *tls.Config
	roots   *x509.CertPool

	done chan struct{} // closed by Close, ends SetDelay waits

	cmds        [len(verbs)]atomic.Int64
	scripted    atomic.Bool // any script was set: take the slow path
	unavailable atomic.Bool // greet new connections with 421 and close them

	mu      sync.Mutex
	live    int // connections open now
	serial  int
	msgs    []Message
	arrived chan struct{} // closed on the next message when someone waits
	stats   Stats
	script  script
}

// NewServer starts a Server for a test and closes it when the test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("smtptest: %v", err)
		}
	})
	return s
}

// Start starts a Server on 127.0.0.1 with a random port. It is listening
// when Start returns; the caller must Close it.
func Start(cfg Config) (*Server, error) {
	s := &Server{
		cfg:  cfg,
		done: make(chan struct{}),
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.localhost"
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	switch {
	case cfg.MaxLineLength > 0:
		srv.MaxLineLength = cfg.MaxLineLength
	case cfg.MaxLineLength < 0:
		srv.MaxLineLength = 0 // go-smtp: no limit
	}
	srv.AllowInsecureAuth = !cfg.AuthRequiresTLS
	srv.EnableSMTPUTF8 = true // so tests see whether a client asks for it
	srv.ErrorLog = smtpserve.ErrorLog(cfg.Logger, "smtptest: ")
	life := smtpserve.Config{Accept: s.accept}
	if cfg.TLS != TLSNone {
		cert, leaf, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("make certificate: %w", err)
		}
		s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.roots = x509.NewCertPool()
		s.roots.AddCert(leaf)
		srv.TLSConfig = s.tlsConf
	}
	if cfg.TLS == TLSImplicit {
		life.Wrap = func(l net.Listener) net.Listener { return tls.NewListener(l, s.tlsConf) }
	}

	ln, addr, err := smtpserve.Listen("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.port = addr.Port
	s.life = smtpserve.Serve(srv, ln, life)
	return s, nil
}

// Close stops the server: it closes the listener and every connection and
// waits for the connection goroutines to finish. Close is idempotent.
func (s *Server) Close() error {
	// Only once the sockets are closed may SetDelay waits end: no reply can
	// get out.
	if err := s.life.Close(func() { close(s.done) }); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// Host returns "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// RootCAs returns a pool holding the server's self-signed certificate, for
// tls.Config.RootCAs, or nil when the server has no TLS.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Messages returns the accepted messages in arrival order. The slice is a
// copy; the To and Data slices inside are shared and must not be modified.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitMessages blocks until at least n messages arrived and returns them all.
// On cancellation it returns the messages so far and an error wrapping
// ctx.Err().
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		if s.arrived == nil {
			s.arrived = make(chan struct{})
		}
		arrived := s.arrived
		s.mu.Unlock()

		select {
		case <-arrived:
		case <-ctx.Done():
			got := s.Messages()
			return got, fmt.Errorf("wait for %d messages, have %d: %w", n, len(got), ctx.Err())
		}
	}
}

// Reset forgets the recorded messages, zeroes the statistics and removes
// every script, restoring the server to how Start left it. Connections stay
// open and keep their serial numbers.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = nil
	s.stats = Stats{Open: s.live, MaxConcurrent: s.live}
	s.script = script{}
	s.scripted.Store(false)
	for i := range s.cmds {
		s.cmds[i].Store(0)
	}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := s.stats
	s.mu.Unlock()
	st.Commands = make(map[string]int, len(verbs))
	for i, v := range verbs {
		if n := s.cmds[i].Load(); n > 0 {
			st.Commands[v] = int(n)
		}
	}
	return st
}

// accept serves a connection smtpserve accepted, or turns it away while the
// server is unavailable.
func (s *Server) accept(nc net.Conn) net.Conn {
	if s.unavailable.Load() {
		s.turnAway(nc)
		return nil
	}
	return s.track(nc)
}

func (s *Server) track(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serial++
	s.live++
	s.stats.Connections++
	s.stats.Open = s.live
	s.stats.MaxConcurrent = max(s.stats.MaxConcurrent, s.stats.Open)
	return &conn{Conn: nc, srv: s, serial: s.serial, scan: s.cfg.TLS != TLSImplicit}
}

func (s *Server) untrack() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live--
	s.stats.Open = s.live
}

// record stores an accepted message and wakes WaitMessages.
func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.stats.Messages++
	if s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}
