package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
)

// HTTP server timeouts. Forms are small and the database is local;
// uploads set their own deadlines with http.ResponseController.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 32 << 10
)

// Server is the admin console. Its Handler is safe for concurrent use;
// Open, Run and Close manage a listener of its own.
type Server struct {
	cfg      Config
	prefix   string // path of BaseURL, without a trailing slash
	secure   bool   // BaseURL is https: Secure cookies
	accounts *accounts.Service
	views    *views
	throttle *throttle
	previews previewCache
	xorigin  *http.CrossOriginProtection
	handler  http.Handler

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	done     chan struct{}
	serveErr error
}

// New checks cfg, applies defaults and builds the routes. It does not
// listen; call Open or Run for that, or serve Handler yourself.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL) // checked by withDefaults
	s := &Server{
		cfg:      cfg,
		prefix:   strings.TrimSuffix(u.Path, "/"),
		secure:   u.Scheme == "https",
		views:    v,
		throttle: newThrottle(cfg.Now),
		xorigin:  http.NewCrossOriginProtection(),
		accounts: &accounts.Service{Store: cfg.Store, IdleTimeout: cfg.IdleTimeout, Lifetime: cfg.Lifetime, Now: cfg.Now},
	}
	// Behind a proxy, Host may be the backend's address while the
	// browser's Origin is the public one.
	if err := s.xorigin.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
		return nil, fmt.Errorf("console config: base url %q: %w", cfg.BaseURL, err)
	}
	s.xorigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusForbidden, "Request refused",
			"This form was sent from another site, so it was refused. Open the console and try again.")
	}))
	s.handler = s.routes()
	return s, nil
}

// Handler returns the console's routes with logging, security headers and
// panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// Accounts is the account service the console uses.
func (s *Server) Accounts() *accounts.Service { return s.accounts }

// Open listens on Config.Listen and serves in a background goroutine. It
// returns once the socket is bound. Stop the server with Close.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("console is already open")
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("console: listen on %s: %w", s.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.srv, s.ln, s.done = srv, ln, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
		}
	}()
	s.cfg.Logger.Info("console listening", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL)
	return nil
}

// Addr is the address Open bound; empty before Open.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting connections and waits for requests in flight until
// ctx ends (or ShutdownTimeout, if ctx has no deadline).
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("shut down console: %w", err)
	}
	<-done
	s.mu.Lock()
	serveErr := s.serveErr
	s.serveErr = nil
	s.mu.Unlock()
	if serveErr != nil {
		return errors.Join(err, fmt.Errorf("console: serve: %w", serveErr))
	}
	return err
}

// Run opens the server unless Open already did, serves until ctx ends,
// then shuts down gracefully. It blocks. It also prunes expired sessions
// every few minutes.
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
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-done:
			break loop
		case <-tick.C:
			if _, err := s.accounts.PruneSessions(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("prune console sessions", "err", err)
			}
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	return s.Close(sctx)
}
