package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/internal/httpserve"
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
	// The archive's answers, kept while the database does not change.
	issueAnswers *answerCache[issueRef, *issueAnswer]
	indexAnswers *answerCache[indexRef, *keptBody]
	feedAnswers  *answerCache[string, *keptBody]
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

	http *httpserve.Server
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
		cfg:          cfg,
		prefix:       pathPrefix(cfg.BaseURL),
		pages:        p,
		pageLimit:    newLimiter(cfg.RatePerSecond, cfg.RateBurst, cfg.MaxClients),
		oneClick:     newLimiter(cfg.OneClickRatePerSecond, cfg.OneClickRateBurst, cfg.MaxClients),
		hookLimit:    newLimiter(cfg.WebhookRatePerSecond, cfg.WebhookRateBurst, cfg.MaxClients),
		archLimit:    newLimiter(cfg.ArchiveRatePerSecond, cfg.ArchiveRateBurst, cfg.MaxClients),
		issues:       newIssueCache(issueCacheSize),
		issueAnswers: newAnswerCache[issueRef, *issueAnswer](),
		indexAnswers: newAnswerCache[indexRef, *keptBody](),
		feedAnswers:  newAnswerCache[string, *keptBody](),
		manageMails:  newLimiter(manageMailsPerHour/3600.0, manageMailBurst, cfg.MaxClients),
		proxies:      proxies(cfg.TrustedProxies),
		xorigin:      http.NewCrossOriginProtection(),
		subIP:        newLimiter(cfg.Subscribe.RatePerSecond, cfg.Subscribe.RateBurst, cfg.MaxClients),
		subAddr:      newLimiter(cfg.Subscribe.AddressRatePerSecond, cfg.Subscribe.AddressRateBurst, cfg.MaxClients),
		mailIP:       newLimiter(cfg.Subscribe.MailRatePerSecond, cfg.Subscribe.MailRateBurst, cfg.MaxClients),
		mailAddr:     newLimiter(cfg.Subscribe.MailAddressPerSecond, cfg.Subscribe.MailAddressBurst, cfg.MaxClients),
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
	s.links = &linkCache{store: cfg.Store, campaigns: map[int64]*campaignLinks{}}
	s.handler = s.routes()
	s.http = httpserve.New(httpserve.Config{
		Name:              "web server",
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
		// The counter flushes clicks while the server serves; the last
		// clicks are written once no request can add one.
		Background: s.counter.Run,
	})
	return s, nil
}

// Handler returns the server's routes wrapped in access logging, security
// headers and panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on Config.Listen and serves in a background goroutine. It
// returns once the socket is bound, so a port already in use is an error
// here rather than a log line later. Stop the server with Close.
func (s *Server) Open() error { return s.http.Open() }

// Addr is the address Open bound, with the real port when Listen asked for
// port 0; empty before Open.
func (s *Server) Addr() string { return s.http.Addr() }

// Close stops accepting connections and waits for requests in flight to
// finish, until ctx ends (or ShutdownTimeout passes, if ctx has no
// deadline); then it drops the remaining connections. Closing a server that
// is not open does nothing.
func (s *Server) Close(ctx context.Context) error { return s.http.Close(ctx) }

// Run opens the server unless Open already did, serves until ctx ends, then
// shuts down gracefully (waiting up to ShutdownTimeout). It blocks. It
// returns nil after a shutdown caused by ctx, and an error if listening or
// serving fails.
func (s *Server) Run(ctx context.Context) error { return s.http.Run(ctx) }
