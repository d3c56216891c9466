package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/web"
)

// tokens returns the signer for links and VERP, or explains how to set one.
func (a *app) tokens() (*subscribers.Tokens, error) {
	if a.cfg.Web.Secret == "" {
		return nil, errors.New("web.secret is not set: unsubscribe links and bounce addresses are signed with it; " +
			"make one with `openssl rand -base64 32` or `" + selfCommand() + " secret` and set web.secret or DISPATCH_WEB_SECRET")
	}
	return subscribers.NewTokens(a.cfg.Web.Secret)
}

// webConfig is the web section as a web.Config, without the store and
// its helpers. A rate of 0 means no limit, which web spells as negative.
func (a *app) webConfig() (web.Config, error) {
	c := a.cfg.Web
	proxies, err := web.ParseTrustedProxies(c.TrustProxy)
	if err != nil {
		return web.Config{}, fmt.Errorf("web.trust_proxy: %w", err)
	}
	unlimited := func(r float64) float64 {
		if r == 0 {
			return -1
		}
		return r
	}
	storeIP, err := web.ParseStoreIP(c.StoreIP)
	if err != nil {
		return web.Config{}, fmt.Errorf("web.store_ip: %w", err)
	}
	perMinute := func(r float64) float64 { return unlimited(r / 60) }
	sc := c.Subscribe
	return web.Config{
		Subscribe: web.SubscribeConfig{ConfirmTTL: sc.ConfirmTTL, MinFillTime: sc.MinFillTime, ConsentText: sc.ConsentText,
			StoreIP:       storeIP,
			RatePerSecond: perMinute(sc.RatePerMinute), RateBurst: sc.Burst,
			AddressRatePerSecond: perMinute(sc.AddressRatePerMinute), AddressRateBurst: sc.AddressBurst,
			MailRatePerSecond: perMinute(sc.MailRatePerMinute), MailRateBurst: sc.MailBurst,
			MailAddressPerSecond: perMinute(sc.MailAddressPerMinute), MailAddressBurst: sc.MailAddressBurst},
		Listen:                c.Listen,
		BaseURL:               c.BaseURL,
		SiteName:              c.SiteName,
		BouncePolicy:          a.bouncePolicy(),
		Logger:                a.serverLogger(),
		TrustedProxies:        proxies,
		RatePerSecond:         unlimited(c.RateLimit),
		RateBurst:             c.RateBurst,
		OneClickRatePerSecond: unlimited(c.OneClickRateLimit),
		OneClickRateBurst:     c.OneClickRateBurst,
		ArchiveRatePerSecond:  unlimited(c.ArchiveRateLimit),
		ArchiveRateBurst:      c.ArchiveRateBurst,
		MaxClients:            c.RateLimitClients,
		ScannerWindow:         a.cfg.Tracking.ScannerWindow,
		RenderIssue:           renderWebVersion,
	}, nil
}

// renderWebVersion renders a campaign's snapshot for the web archive.
func renderWebVersion(snapshot []byte, webURL, manageURL string) (*web.WebIssue, error) {
	wi, err := templates.RenderWebVersion(snapshot, webURL, manageURL)
	if err != nil {
		return nil, err
	}
	return &web.WebIssue{Subject: wi.Subject, HTML: wi.HTML, Date: wi.Date}, nil
}

func (a *app) bouncePolicy() subscribers.BouncePolicy {
	return subscribers.BouncePolicy{
		SoftLimit:          a.cfg.Bounces.SoftLimit,
		SoftWindow:         a.cfg.Bounces.SoftWindow,
		AddressMatchWindow: a.cfg.Bounces.AddressMatchWindow,
	}
}

// relays turns smtp.* (and smtp.relays) into mailer relays; a relay's empty
// fields take the smtp section's values.
func (a *app) relays() []mailer.Relay {
	c := a.cfg.SMTP
	base := mailer.Relay{
		Host:                     c.Host,
		Port:                     c.Port,
		Username:                 c.Username,
		Password:                 c.Password,
		TLS:                      c.TLS,
		Concurrency:              a.cfg.Sending.Concurrency,
		MaxMessagesPerConnection: c.MaxMessagesPerConnection,
		Timeout:                  c.Timeout,
		HELO:                     c.HELO,
		InsecureSkipVerify:       c.TLSSkipVerify,
		AllowInsecureAuth:        c.AllowInsecureAuth,
		Chunking:                 c.Chunking,
	}
	if len(c.Relays) == 0 {
		return []mailer.Relay{base}
	}
	var out []mailer.Relay
	for _, r := range c.Relays {
		m := base
		m.Name = r.Name
		m.Host = r.Host
		m.Rate = r.Rate
		if r.Port != 0 {
			m.Port = r.Port
		}
		if r.Username != "" {
			m.Username = r.Username
			m.Password = r.Password
		}
		if r.TLS != tlsmode.Unset {
			m.TLS = r.TLS
		}
		if r.Concurrency != 0 {
			m.Concurrency = r.Concurrency
		}
		if r.MaxMessagesPerConnection != 0 {
			m.MaxMessagesPerConnection = r.MaxMessagesPerConnection
		}
		out = append(out, m)
	}
	return out
}

// mailerConfig wires the configuration into the mailer. relays overrides
// the configured relays (the local capture server) when not nil.
func (a *app) mailerConfig(relays []mailer.Relay) (mailer.Config, error) {
	tokens, err := a.tokens()
	if err != nil {
		return mailer.Config{}, err
	}
	if relays == nil {
		if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
			return mailer.Config{}, errors.New("no SMTP relay configured: set smtp.host (or DISPATCH_SMTP_HOST), " +
				"or pass --capture DIR to write the messages to a folder instead")
		}
		relays = a.relays()
	}
	cfg := mailer.Config{
		Relays:         relays,
		Rate:           a.cfg.Sending.Rate,
		HourlyLimit:    a.cfg.Sending.HourlyLimit,
		DailyLimit:     a.cfg.Sending.DailyLimit,
		RetryBackoff:   a.cfg.Sending.RetryBackoff,
		MaxAttempts:    a.cfg.Sending.MaxAttempts,
		PauseAfter:     a.cfg.Sending.PauseAfter,
		RelayDownPause: a.cfg.Sending.RelayDownPause,
		From:           a.cfg.Sender.From,
		ReplyTo:        a.cfg.Sender.ReplyTo,
		BounceAddress:  a.cfg.Sender.BounceAddress,
		BaseURL:        a.cfg.Web.BaseURL,
		Tokens:         tokens,
		CFBLAddress:    a.cfg.Sender.CFBLAddress,
		BouncePolicy:   a.bouncePolicy(),
		Logger:         a.logger,
	}
	if a.cfg.DKIM.PrivateKeyFile != "" {
		pem, err := os.ReadFile(a.cfg.DKIM.PrivateKeyFile)
		if err != nil {
			return mailer.Config{}, fmt.Errorf("dkim.private_key_file: %w", err)
		}
		key, err := mailer.ParseDKIMKey(pem)
		if err != nil {
			return mailer.Config{}, fmt.Errorf("dkim.private_key_file %s: %w", a.cfg.DKIM.PrivateKeyFile, err)
		}
		cfg.DKIM = &mailer.DKIM{
			Domain:   a.cfg.DKIM.Domain,
			Selector: a.cfg.DKIM.Selector,
			Key:      key,
		}
	}
	return cfg, nil
}

// templateConfig is what the renderer needs from the configuration.
func (a *app) templateConfig(listName string) templates.Config {
	// Every issue has a web version, served by `dispatch serve` at the same
	// base URL as the unsubscribe links every message already needs.
	return templates.Config{
		PostalAddress: a.cfg.Sender.PostalAddress,
		ListName:      listName,
		From:          a.cfg.Sender.From,
		WebVersion:    a.cfg.Web.BaseURL != "",
	}
}

// eta is a rough duration for n messages at the configured rate.
func eta(n int, rate float64) string {
	if rate <= 0 {
		return "as fast as the relay accepts"
	}
	return (time.Duration(float64(n)/rate*float64(time.Second)) + time.Second).Round(time.Second).String()
}

// campaignService wires the send use case to the store and a mailer
// (nil for commands that only control or watch campaigns). process is the
// command, named in the leases it takes.
func (a *app) campaignService(s *sqlite.Store, sender *mailer.Sender, process string) *campaign.Service {
	cfg := campaign.Config{
		Owner: a.leaseOwner(process),
		Guardrails: campaign.Guardrails{
			MaxBounceRate:    a.cfg.Sending.MaxBounceRate,
			MaxComplaintRate: a.cfg.Sending.MaxComplaintRate,
		},
		Logger:   a.logger,
		Tracking: a.tracking(),
	}
	if sender != nil {
		cfg.Sender = sender
	}
	return campaign.New(cfg, s)
}

// leaseOwner is this process as a lease names it.
func (a *app) leaseOwner(process string) subscribers.LeaseOwner {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	return subscribers.LeaseOwner{
		Host:    host,
		PID:     os.Getpid(),
		Process: process,
		Started: a.started,
	}
}
