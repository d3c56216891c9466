package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// ErrNotLoopback is returned by Start for an address that is not on the
// loopback interface.
var ErrNotLoopback = errors.New("capture server must listen on a loopback address")

const (
	// maxMessageBytes bounds what one message may write to disk.
	maxMessageBytes = 64 << 20
	// The RFC 5321 section 4.5.3.2 command timeouts are 5 minutes.
	readTimeout  = 5 * time.Minute
	writeTimeout = time.Minute
)

// Config configures a capture Server.
type Config struct {
	// Dir receives the .eml files. It is created if missing.
	Dir string
	// Addr is the listen address; it must be loopback. Default 127.0.0.1:0
	// (a free port).
	Addr string
	// Logger gets one line per captured message. Nil discards.
	Logger *slog.Logger
}

// Server is a running capture server. Its methods are safe for concurrent
// use.
type Server struct {
	dir  string
	log  *slog.Logger
	smtp *smtp.Server
	ln   net.Listener
	addr *net.TCPAddr

	seq   atomic.Int64 // last file number handed out
	count atomic.Int64 // files written

	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// Start creates Dir, listens on Addr and serves in the background. The
// server is accepting connections when Start returns. File numbers continue
// after the highest NNNN-*.eml already in Dir.
func Start(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start capture server: no directory")
	}
	addr, err := loopbackAddr(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("start capture server: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("start capture server: %w", err)
	}
	last, err := lastNumber(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("start capture server: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start capture server: %w", err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() { // "localhost" resolved somewhere odd
		ln.Close()
		return nil, fmt.Errorf("start capture server on %s: %w", ln.Addr(), ErrNotLoopback)
	}

	s := &Server{
		dir:       cfg.Dir,
		log:       log,
		ln:        ln,
		addr:      tcp,
		serveDone: make(chan struct{}),
		conns:     make(map[net.Conn]struct{}),
	}
	s.seq.Store(last)
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "dispatch-capture.localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.ReadTimeout = readTimeout
	srv.WriteTimeout = writeTimeout
	srv.ErrorLog = errorLog{log}
	s.smtp = srv

	go func() {
		defer close(s.serveDone)
		_ = srv.Serve(&listener{Listener: ln, srv: s}) // returns when Close closes ln
	}()
	return s, nil
}

// loopbackAddr applies the default and refuses anything but a loopback IP
// or "localhost"; an empty host would mean every interface.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return addr, nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("address %q: %w", addr, ErrNotLoopback)
	}
	return addr, nil
}

// Addr returns the listening address, e.g. "127.0.0.1:34567".
func (s *Server) Addr() string { return s.addr.String() }

// Host returns the listening IP address, e.g. "127.0.0.1".
func (s *Server) Host() string { return s.addr.IP.String() }

// Port returns the listening TCP port.
func (s *Server) Port() int { return s.addr.Port }

// Count returns how many messages this server has written to Dir.
func (s *Server) Count() int { return int(s.count.Load()) }

// Close stops accepting, closes every connection and waits until no message
// is being written. A message cut off by Close leaves no file. Close is
// idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		open := make([]net.Conn, 0, len(s.conns))
		for c := range s.conns {
			open = append(open, c)
		}
		s.mu.Unlock()

		_ = s.ln.Close()
		<-s.serveDone // no more Accept, so go-smtp's WaitGroup only shrinks
		for _, c := range open {
			_ = c.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Shutdown re-closes the listener (an ignorable error) and waits for
		// the connection goroutines, whose sockets are closed by now.
		if err := s.smtp.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			s.closeErr = fmt.Errorf("close capture server: %w", err)
		}
	})
	return s.closeErr
}

// listener tracks connections so Close can end them.
type listener struct {
	net.Listener
	srv *Server
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &conn{Conn: c, srv: l.srv}
	l.srv.mu.Lock()
	defer l.srv.mu.Unlock()
	if l.srv.closed {
		_ = c.Close() // accepted while closing: go-smtp will see it closed
		return tc, nil
	}
	l.srv.conns[tc] = struct{}{}
	return tc, nil
}

type conn struct {
	net.Conn
	srv *Server
}

func (c *conn) Close() error {
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	return c.Conn.Close()
}

// errorLog adapts go-smtp's logger to slog.
type errorLog struct{ l *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.l.Warn("capture smtp: " + fmt.Sprintf(format, v...))
}

func (e errorLog) Println(v ...any) { e.l.Warn("capture smtp: " + fmt.Sprint(v...)) }
