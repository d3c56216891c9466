package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/tracking"
)

// HTTP server timeouts. Pages are small and the database is local, so
// anything slower than this is a slow or hostile client.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 20 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 32 << 10
)

// Server is the public HTTP server. Its Handler is safe for concurrent use
// and may be served by any http.Server; Open, Run and Close manage one of
// its own.
type Server struct {
	cfg       Config
	prefix    string // path of BaseURL, without a trailing slash
	pages     *pages
	pageLimit *limiter // nil: no limit
	oneClick  *limiter // one-click POSTs with a valid link
	hookLimit *limiter
	archLimit *limiter // the archive's pages and feed
	// manageMails limits manage links per address (see addressKey).
	manageMails *limiter
	issues      *issueCache
	// The subscribe forms: POSTs per client and per address typed, and
	// confirmation mails per client and per address.
	subIP, subAddr, mailIP, mailAddr *limiter
	bounces                          *apply.Applier // applies webhook bounces
	proxies                          proxies
	xorigin                          *http.CrossOriginProtection
	handler                          http.Handler
	// oneClickPage is the answer to every applied one-click POST, rendered
	// once: it names no one.
	oneClickPage []byte
	counter      *tracking.Counter
	links        *linkCache

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	done     chan struct{} // closed when Serve returns
	serveErr error
	// stopCount ends the counter's flushing; countDone is closed once it
	// has flushed for the last time.
	stopCount context.CancelFunc
	countDone chan struct{}
}

// New checks cfg, applies defaults and builds the routes. It does not
// listen; call Open or Run for that, or serve Handler yourself.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         cfg,
		prefix:      pathPrefix(cfg.BaseURL),
		pages:       p,
		pageLimit:   newLimiter(cfg.RatePerSecond, cfg.RateBurst, cfg.MaxClients),
		oneClick:    newLimiter(cfg.OneClickRatePerSecond, cfg.OneClickRateBurst, cfg.MaxClients),
		hookLimit:   newLimiter(cfg.WebhookRatePerSecond, cfg.WebhookRateBurst, cfg.MaxClients),
		archLimit:   newLimiter(cfg.ArchiveRatePerSecond, cfg.ArchiveRateBurst, cfg.MaxClients),
		issues:      newIssueCache(issueCacheSize),
		manageMails: newLimiter(manageMailsPerHour/3600.0, manageMailBurst, cfg.MaxClients),
		proxies:     proxies(cfg.TrustedProxies),
		xorigin:     http.NewCrossOriginProtection(),
		subIP:       newLimiter(cfg.Subscribe.RatePerSecond, cfg.Subscribe.RateBurst, cfg.MaxClients),
		subAddr:     newLimiter(cfg.Subscribe.AddressRatePerSecond, cfg.Subscribe.AddressRateBurst, cfg.MaxClients),
		mailIP:      newLimiter(cfg.Subscribe.MailRatePerSecond, cfg.Subscribe.MailRateBurst, cfg.MaxClients),
		mailAddr:    newLimiter(cfg.Subscribe.MailAddressPerSecond, cfg.Subscribe.MailAddressBurst, cfg.MaxClients),
	}
	if o := origin(cfg.BaseURL); o != "" {
		// Behind a proxy, Host may be the backend's address while the
		// browser's Origin is the public one.
		if err := s.xorigin.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web config: base url %q: %w", cfg.BaseURL, err)
		}
	}
	if s.oneClickPage, err = s.execute(pageMessage, pageData{Title: titleOneClick, Lines: textOneClick}); err != nil {
		return nil, fmt.Errorf("render one-click page: %w", err)
	}
	if s.bounces, err = apply.New(apply.Config{Store: cfg.Store, Tokens: cfg.Tokens, Policy: cfg.BouncePolicy,
		LogPrefix: "webhook", Logger: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("web config: %w", err)
	}
	if s.counter, err = tracking.New(tracking.Config{Store: cfg.Store, ScannerWindow: cfg.ScannerWindow,
		FlushEvery: cfg.ClickFlushEvery, Logger: cfg.Logger, Now: cfg.Now}); err != nil {
		return nil, fmt.Errorf("web config: %w", err)
	}
	s.links = &linkCache{store: cfg.Store, now: cfg.Now, campaigns: map[int64]*campaignLinks{}}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's routes wrapped in access logging, security
// headers and panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on Config.Listen and serves in a background goroutine. It
// returns once the socket is bound, so a port already in use is an error
// here rather than a log line later. Stop the server with Close.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("web server is already open")
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
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
	var cctx context.Context
	cctx, s.stopCount = context.WithCancel(context.Background())
	s.countDone = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		s.counter.Run(cctx)
	}(s.countDone)
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
		}
	}()
	s.cfg.Logger.Info("web server listening", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL)
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
// deadline); then it drops the remaining connections. Closing a server that
// is not open does nothing.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	stopCount, countDone := s.stopCount, s.countDone
	s.srv = nil // a second Close, or a Close after Run, does nothing
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	// The last clicks are written once no request can add one.
	defer func() { stopCount(); <-countDone }()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// Requests still running past the deadline are cut off.
		_ = srv.Close()
		err = fmt.Errorf("shut down web server: %w", err)
	}
	<-done
	s.mu.Lock()
	serveErr := s.serveErr
	s.serveErr = nil
	s.mu.Unlock()
	if serveErr != nil {
		return errors.Join(err, fmt.Errorf("serve: %w", serveErr))
	}
	return err
}

// Run opens the server unless Open already did, serves until ctx ends, then
// shuts down gracefully (waiting up to ShutdownTimeout). It blocks. It
// returns nil after a shutdown caused by ctx, and an error if listening or
// serving fails.
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
