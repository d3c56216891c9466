// Package httpserve runs the life of an http.Server: listening, serving in
// the background, and shutting down gracefully. It also holds the access
// log, the response recorder it needs and the panic recovery. The public
// server (web) and the admin console share it, so their lifecycles and
// logs are written once.
//
// It imports the standard library only.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultShutdownTimeout is how long Close and Run wait for requests in
// flight when Config.ShutdownTimeout is not set.
const DefaultShutdownTimeout = 10 * time.Second

// Config says where and how a Server serves.
type Config struct {
	// Name names the server in its errors and its log line ("web server",
	// "console").
	Name    string
	Listen  string
	Handler http.Handler

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// ShutdownTimeout bounds how long Run, and Close without a deadline,
	// wait for requests in flight.
	ShutdownTimeout time.Duration

	Logger *slog.Logger
	// LogAttrs are added to the "listening" log line, after the address.
	LogAttrs []any

	// Background, when set, is work that lives as long as the server
	// serves (flushing counters, pruning sessions). Open starts it once
	// the socket is bound; Close cancels its context once the server has
	// shut down, so no request is left to add work, and waits for it to
	// return.
	Background func(ctx context.Context)
}

// Server is one http.Server's life. Its methods are safe for concurrent
// use.
type Server struct {
	cfg Config

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	done     chan struct{} // closed when Serve returns
	serveErr error
	// stopBackground ends Config.Background; backgroundDone is closed when
	// it has returned.
	stopBackground context.CancelFunc
	backgroundDone chan struct{}
}

// New returns a Server that is not listening yet.
func New(cfg Config) *Server {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg}
}

// Open listens on Config.Listen and serves in a background goroutine. It
// returns once the socket is bound, so a port already in use is an error
// here rather than a log line later. Stop the server with Close.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return fmt.Errorf("%s is already open", s.cfg.Name)
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w", s.cfg.Name, s.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           s.cfg.Handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.srv = srv
	s.ln = ln
	s.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
		}
	}(s.done)
	if s.cfg.Background != nil {
		var bctx context.Context
		bctx, s.stopBackground = context.WithCancel(context.Background())
		s.backgroundDone = make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			s.cfg.Background(bctx)
		}(s.backgroundDone)
	}
	s.cfg.Logger.Info(s.cfg.Name+" listening", append([]any{"addr", ln.Addr().String()}, s.cfg.LogAttrs...)...)
	return nil
}

// Addr is the address Open bound, with the real port when Listen asked for
// port 0; empty before Open.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting connections and waits for requests in flight to
// finish, until ctx ends (or ShutdownTimeout passes, if ctx has no
// deadline); then it drops the remaining connections. It also reports why
// serving failed, if it did. Closing a server that is not open does
// nothing.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	stopBackground, backgroundDone := s.stopBackground, s.backgroundDone
	s.srv = nil // a second Close, or a Close after Run, does nothing
	s.stopBackground, s.backgroundDone = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if stopBackground != nil {
		// Deferred, so it runs once the server is down.
		defer func() {
			stopBackground()
			<-backgroundDone
		}()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// Requests still running past the deadline are cut off.
		_ = srv.Close()
		err = fmt.Errorf("shut down %s: %w", s.cfg.Name, err)
	}
	<-done
	s.mu.Lock()
	serveErr := s.serveErr
	s.serveErr = nil
	s.mu.Unlock()
	if serveErr != nil {
		return errors.Join(err, fmt.Errorf("%s: serve: %w", s.cfg.Name, serveErr))
	}
	return err
}

// Run opens the server unless Open already did, serves until ctx ends or
// serving fails, then shuts down gracefully (waiting up to
// ShutdownTimeout). It blocks. It returns nil after a shutdown caused by
// ctx, and an error if listening or serving fails.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	opened := s.srv != nil
	s.mu.Unlock()
	if !opened {
		if err := s.Open(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-done:
		// Serve failed on its own; Close reports why.
	}
	// The caller's context is already over; shutdown gets its own time.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	return s.Close(sctx)
}
