package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/internal/httpserve"
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

	http *httpserve.Server
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
	s.http = httpserve.New(httpserve.Config{
		Name:              "console",
		Listen:            cfg.Listen,
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		Logger:            cfg.Logger,
		LogAttrs:          []any{"base_url", cfg.BaseURL},
		Background:        s.pruneSessions,
	})
	return s, nil
}

// Handler returns the console's routes with logging, security headers and
// panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// Accounts is the account service the console uses.
func (s *Server) Accounts() *accounts.Service { return s.accounts }

// Open listens on Config.Listen and serves in a background goroutine. It
// returns once the socket is bound. Stop the server with Close.
func (s *Server) Open() error { return s.http.Open() }

// Addr is the address Open bound; empty before Open.
func (s *Server) Addr() string { return s.http.Addr() }

// Close stops accepting connections and waits for requests in flight until
// ctx ends (or ShutdownTimeout, if ctx has no deadline).
func (s *Server) Close(ctx context.Context) error { return s.http.Close(ctx) }

// Run opens the server unless Open already did, serves until ctx ends,
// then shuts down gracefully. It blocks. While the server is open, it
// prunes expired sessions every few minutes.
func (s *Server) Run(ctx context.Context) error { return s.http.Run(ctx) }

// pruneSessions deletes expired sessions every few minutes until ctx ends.
func (s *Server) pruneSessions(ctx context.Context) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.accounts.PruneSessions(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("prune console sessions", "err", err)
			}
		}
	}
}
