package main

import (
	"time"

	"github.com/dispatchhq/dispatch/campaign"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TrackingConfig is engagement tracking: off unless a list or an issue
// asks for it (issue 16).
type TrackingConfig struct {
	// Clicks is off, aggregate or individual; a list's own setting and an
	// issue's track_clicks: front matter override it.
	Clicks string `mapstructure:"clicks"`
	// Opens is off or aggregate: the open pixel.
	Opens string `mapstructure:"opens"`
	// ScannerWindow: a click this soon after its delivery is a machine's.
	ScannerWindow time.Duration `mapstructure:"scanner_window"`
}

// validateTracking checks the tracking section.
func (c *Config) validateTracking(p *problems) {
	if _, err := subscribers.ParseClickTracking(c.Tracking.Clicks); err != nil {
		p.bad("tracking.clicks", "%q: want off, aggregate or individual", c.Tracking.Clicks)
	}
	if _, err := subscribers.ParseOpenTracking(c.Tracking.Opens); err != nil {
		p.bad("tracking.opens", "%q: want off or aggregate", c.Tracking.Opens)
	}
	if c.Tracking.ScannerWindow <= 0 {
		p.bad("tracking.scanner_window", "must be a positive duration like 60s")
	}
}

// tracking is the tracking section as campaigns take it; without a usable
// web.secret nothing is tracked (and nothing can be sent either).
func (a *app) tracking() campaign.Tracking {
	t := campaign.Tracking{Clicks: subscribers.ClickTracking(a.cfg.Tracking.Clicks),
		Opens: subscribers.OpenTracking(a.cfg.Tracking.Opens), BaseURL: a.cfg.Web.BaseURL}
	if tok, err := a.tokens(); err == nil {
		t.Tokens = tok
	}
	return t
}
