// Package smtpserve runs the life of a go-smtp server on a loopback
// address: listening, serving, taking the listener down and up again, and
// shutting down so that no connection goroutine outlives Close. The local
// capture server (internal/capture) and the test server (mailer/smtptest)
// share it, so the order of that shutdown, which is easy to get wrong, is
// written once.
//
// It imports go-smtp and the standard library only.
package smtpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// ErrNotLoopback is returned by Listen for an address that is not on the
// loopback interface.
var ErrNotLoopback = errors.New("smtpserve: address is not on the loopback interface")

// ErrBusy is returned by Close when connections were still busy after the
// shutdown timeout.
var ErrBusy = errors.New("smtpserve: connections still busy")

// Listen listens on addr, which must be a loopback IP or "localhost" with a
// port; "" means 127.0.0.1 and a free port. An empty host would mean every
// interface and is refused, as is a "localhost" that resolved elsewhere.
func Listen(addr string) (net.Listener, *net.TCPAddr, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, nil, fmt.Errorf("address %q: %w", addr, ErrNotLoopback)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, nil, fmt.Errorf("address %s: %w", ln.Addr(), ErrNotLoopback)
	}
	return ln, tcp, nil
}

// Config says how a Server serves.
type Config struct {
	// Accept turns each accepted connection into the one go-smtp serves
	// (to count it, or to watch its bytes), or returns nil after closing it
	// itself to turn it away. Nil serves the connection as it is.
	Accept func(net.Conn) net.Conn
	// Wrap layers each listener, for implicit TLS. Nil leaves it bare.
	Wrap func(net.Listener) net.Listener
	// ShutdownTimeout bounds how long Close waits for the connection
	// goroutines. Default 10s.
	ShutdownTimeout time.Duration
}

// Server serves one go-smtp server. Its methods are safe for concurrent
// use.
type Server struct {
	smtp      *smtp.Server
	cfg       Config
	lns       chan net.Listener // to serve: the first, then one per Up
	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	closed bool
	down   bool
	ln     net.Listener // the TCP listener, under any Wrap layer
	conns  map[*conn]struct{}
}

// Serve serves srv on ln in the background; it is accepting when Serve
// returns.
func Serve(srv *smtp.Server, ln net.Listener, cfg Config) *Server {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{
		smtp:      srv,
		cfg:       cfg,
		lns:       make(chan net.Listener, 1),
		serveDone: make(chan struct{}),
		conns:     make(map[*conn]struct{}),
	}
	s.serve(ln)
	go func() {
		defer close(s.serveDone)
		// Serve returns when Down or Close closes its listener; Up hands
		// over the next one, Close closes the channel.
		for l := range s.lns {
			_ = srv.Serve(l)
		}
	}()
	return s
}

// serve hands a new TCP listener to the serving goroutine. The caller holds
// s.mu, or is Serve.
func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	var l net.Listener = &listener{Listener: ln, srv: s}
	if s.cfg.Wrap != nil {
		l = s.cfg.Wrap(l)
	}
	s.lns <- l
}

// Down stops listening, so new connections are refused, and resets every
// open connection without a reply, as a crashed relay does. Up undoes it.
func (s *Server) Down() {
	s.mu.Lock()
	if s.closed || s.down {
		s.mu.Unlock()
		return
	}
	s.down = true
	_ = s.ln.Close()
	open := s.open()
	s.mu.Unlock()
	for _, c := range open {
		c.reset()
	}
}

// Up listens again on the same address after Down.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.down {
		return nil
	}
	ln, err := net.Listen("tcp", s.ln.Addr().String())
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", s.ln.Addr(), err)
	}
	s.down = false
	s.serve(ln)
	return nil
}

// Close stops accepting, closes every connection, calls before (if not
// nil) and waits for the connection goroutines. Close is idempotent.
func (s *Server) Close(before func()) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		open := s.open()
		_ = s.ln.Close()
		close(s.lns)
		s.mu.Unlock()

		<-s.serveDone // no more Accept, so go-smtp's WaitGroup only shrinks
		for _, c := range open {
			_ = c.Close()
		}
		if before != nil {
			before()
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		// Shutdown re-closes the listener (an ignorable error) and waits for
		// the connection goroutines, whose sockets are closed by now.
		if err := s.smtp.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			s.closeErr = fmt.Errorf("%w: %w", ErrBusy, err)
		}
	})
	return s.closeErr
}

// open returns the open connections. The caller holds s.mu.
func (s *Server) open() []*conn {
	open := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	return open
}

// listener tracks every accepted connection so Down and Close can end it.
type listener struct {
	net.Listener
	srv *Server
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c := &conn{Conn: nc, srv: l.srv}
		l.srv.mu.Lock()
		if l.srv.closed {
			_ = nc.Close() // accepted while closing: go-smtp will see it closed
		} else {
			l.srv.conns[c] = struct{}{}
		}
		l.srv.mu.Unlock()
		if l.srv.cfg.Accept == nil {
			return c, nil
		}
		if served := l.srv.cfg.Accept(c); served != nil {
			return served, nil
		}
	}
}

// conn is one tracked TCP connection.
type conn struct {
	net.Conn
	srv *Server
}

// Close closes the socket and forgets the connection.
func (c *conn) Close() error {
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	return c.Conn.Close()
}

// reset closes the socket with a TCP reset, as a crashed server would.
func (c *conn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// Reset closes c, a connection the Server accepted (or one wrapping it
// through a NetConn method, as Accept's result may), with a TCP reset.
func Reset(c net.Conn) {
	for {
		switch v := c.(type) {
		case *conn:
			v.reset()
			return
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			_ = c.Close()
			return
		}
	}
}

// ErrorLog adapts go-smtp's logger to slog, with prefix before each line.
// A nil l discards.
func ErrorLog(l *slog.Logger, prefix string) smtp.Logger {
	return errorLog{l: l, prefix: prefix}
}

type errorLog struct {
	l      *slog.Logger
	prefix string
}

func (e errorLog) Printf(format string, v ...any) {
	if e.l != nil {
		e.l.Warn(e.prefix + fmt.Sprintf(format, v...))
	}
}

func (e errorLog) Println(v ...any) {
	if e.l != nil {
		e.l.Warn(e.prefix + fmt.Sprint(v...))
	}
}
