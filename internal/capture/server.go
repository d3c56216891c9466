package capture

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/dispatchhq/dispatch/internal/smtpserve"
	"github.com/emersion/go-smtp"
)

// ErrNotLoopback is returned by Start for an address that is not on the
// loopback interface.
var ErrNotLoopback = smtpserve.ErrNotLoopback

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
	life *smtpserve.Server
	addr *net.TCPAddr

	seq   atomic.Int64 // last file number handed out
	count atomic.Int64 // files written
}

// Start creates Dir, listens on Addr and serves in the background. The
// server is accepting connections when Start returns. File numbers continue
// after the highest NNNN-*.eml already in Dir.
func Start(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start capture server: no directory")
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
	ln, addr, err := smtpserve.Listen(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("start capture server: %w", err)
	}

	s := &Server{
		dir:  cfg.Dir,
		log:  log,
		addr: addr,
	}
	s.seq.Store(last)
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "dispatch-capture.localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.ReadTimeout = readTimeout
	srv.WriteTimeout = writeTimeout
	srv.ErrorLog = smtpserve.ErrorLog(log, "capture smtp: ")
	s.life = smtpserve.Serve(srv, ln, smtpserve.Config{ShutdownTimeout: 30 * time.Second})
	return s, nil
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
	if err := s.life.Close(nil); err != nil {
		return fmt.Errorf("close capture server: %w", err)
	}
	return nil
}
