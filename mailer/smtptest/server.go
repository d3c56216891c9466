package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
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
	smtp    *smtp.Server
	ln      net.Listener // the TCP listener, under any TLS layer
	port    int
	tlsConf *tls.Config
	roots   *x509.CertPool

	done      chan struct{}     // closed by Close, ends SetDelay waits
	lns       chan net.Listener // to serve: the first, then one per Up
	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error

	cmds        [len(verbs)]atomic.Int64
	scripted    atomic.Bool // any script was set: take the slow path
	unavailable atomic.Bool // greet new connections with 421 and close them

	mu      sync.Mutex
	closed  bool
	down    bool // Down was called and Up not since
	conns   map[*conn]struct{}
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
		cfg:       cfg,
		done:      make(chan struct{}),
		lns:       make(chan net.Listener, 1),
		serveDone: make(chan struct{}),
		conns:     make(map[*conn]struct{}),
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
	srv.ErrorLog = errorLog{cfg.Logger}
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
	s.smtp = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	go func() {
		defer close(s.serveDone)
		// Serve returns when Down or Close closes its listener; Up hands
		// over the next one, Close closes the channel.
		for l := range s.lns {
			_ = srv.Serve(l)
		}
	}()
	return s, nil
}

// serve hands a new TCP listener to the serving goroutine. The caller holds
// s.mu, or is Start.
func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	var l net.Listener = &listener{Listener: ln, srv: s}
	if s.cfg.TLS == TLSImplicit {
		l = tls.NewListener(l, s.tlsConf)
	}
	s.lns <- l
}

// Close stops the server: it closes the listener and every connection and
// waits for the connection goroutines to finish. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		open := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			open = append(open, c)
		}
		_ = s.ln.Close()
		close(s.lns)
		s.mu.Unlock()

		<-s.serveDone // no more Accept, so go-smtp's WaitGroup only shrinks
		for _, c := range open {
			_ = c.Conn.Close()
		}
		close(s.done) // only now end SetDelay waits: no reply can get out
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Shutdown re-closes the listener (an ignorable error) and waits for
		// the connection goroutines, whose sockets are closed by now.
		if err := s.smtp.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			s.closeErr = fmt.Errorf("close: connections still busy: %w", err)
		}
	})
	return s.closeErr
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
	s.stats = Stats{Open: len(s.conns), MaxConcurrent: len(s.conns)}
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

func (s *Server) track(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serial++
	c := &conn{Conn: nc, srv: s, serial: s.serial, scan: s.cfg.TLS != TLSImplicit}
	if s.closed {
		_ = nc.Close() // accepted while closing: go-smtp will see it closed
		return c
	}
	s.conns[c] = struct{}{}
	s.stats.Connections++
	s.stats.Open = len(s.conns)
	s.stats.MaxConcurrent = max(s.stats.MaxConcurrent, s.stats.Open)
	return c
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.stats.Open = len(s.conns)
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

// errorLog adapts go-smtp's logger to slog; nil discards.
type errorLog struct{ l *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	if e.l != nil {
		e.l.Warn("smtptest: " + fmt.Sprintf(format, v...))
	}
}

func (e errorLog) Println(v ...any) {
	if e.l != nil {
		e.l.Warn("smtptest: " + fmt.Sprint(v...))
	}
}
