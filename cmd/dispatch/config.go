package main

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// Config is every setting Dispatch reads. Its mapstructure tags are the
// configuration keys; config.example.yaml mirrors it key for key.
type Config struct {
	Database DatabaseConfig `mapstructure:"database"`
	SMTP     SMTPConfig     `mapstructure:"smtp"`
	Sending  SendingConfig  `mapstructure:"sending"`
	Sender   SenderConfig   `mapstructure:"sender"`
	Web      WebConfig      `mapstructure:"web"`
	DKIM     DKIMConfig     `mapstructure:"dkim"`
	Bounces  BouncesConfig  `mapstructure:"bounces"`
	Webhooks WebhooksConfig `mapstructure:"webhooks"`
	Import   ImportConfig   `mapstructure:"import"`
	Doctor   DoctorConfig   `mapstructure:"doctor"`
	Admin    AdminConfig    `mapstructure:"admin"`
	Backup   BackupConfig   `mapstructure:"backup"`
	Tracking TrackingConfig `mapstructure:"tracking"`
}

// BackupConfig is the schedule on which `dispatch serve` takes rotating
// backups; an empty Dir takes none.
type BackupConfig struct {
	Dir      string        `mapstructure:"dir"`
	Interval time.Duration `mapstructure:"interval"`
	Keep     int           `mapstructure:"keep"`
	// MaxMBPerS caps the rate every backup (scheduled or `dispatch
	// backup`) writes its copy at; 0 is as fast as the disk takes it.
	MaxMBPerS int `mapstructure:"max_mb_per_s"`
	// BusyMBPerS caps the rate every backup copies pages at while serve or
	// send writes the database; 0 copies at full speed regardless.
	BusyMBPerS int `mapstructure:"busy_mb_per_s"`
}

// options is the section as sqlite.Backup takes it.
func (c BackupConfig) options() sqlite.BackupOptions {
	return sqlite.BackupOptions{
		MaxBytesPerSecond:  int64(c.MaxMBPerS) * 1_000_000,
		BusyBytesPerSecond: int64(c.BusyMBPerS) * 1_000_000,
	}
}

// AdminConfig is the admin console that `dispatch serve` runs on its own
// listener.
type AdminConfig struct {
	Enabled bool   `mapstructure:"enabled"`
	Listen  string `mapstructure:"listen"`
	// BaseURL is where admins reach the console; empty means
	// http://LISTEN. https makes the session cookie Secure.
	BaseURL         string        `mapstructure:"base_url"`
	SessionIdle     time.Duration `mapstructure:"session_idle_timeout"`
	SessionLifetime time.Duration `mapstructure:"session_lifetime"`
	// MaxUploadMB limits a CSV file uploaded to the import page.
	MaxUploadMB int `mapstructure:"max_upload_mb"`
	// TypedConfirmAbove is the number of recipients above which a send
	// from the console must be confirmed by typing the list's name.
	TypedConfirmAbove int `mapstructure:"typed_confirm_above"`
}

// DoctorConfig tunes `dispatch doctor` and the checks before a send.
type DoctorConfig struct {
	// Resolver is the DNS server ("host:port") the DNS checks ask; empty
	// uses the system's.
	Resolver string `mapstructure:"resolver"`
}

type DatabaseConfig struct {
	Path string `mapstructure:"path"`
}

type SMTPConfig struct {
	Host                     string        `mapstructure:"host"`
	Port                     int           `mapstructure:"port"`
	Username                 string        `mapstructure:"username"`
	Password                 string        `mapstructure:"password"`
	TLS                      tlsmode.Mode  `mapstructure:"tls"`
	Timeout                  time.Duration `mapstructure:"timeout"`
	HELO                     string        `mapstructure:"helo"`
	MaxMessagesPerConnection int           `mapstructure:"max_messages_per_connection"`
	TLSSkipVerify            bool          `mapstructure:"tls_skip_verify"`
	AllowInsecureAuth        bool          `mapstructure:"allow_insecure_auth"`
	Chunking                 bool          `mapstructure:"chunking"`
	Relays                   []RelayConfig `mapstructure:"relays"`
}

// RelayConfig is one entry of smtp.relays; empty fields take the value of
// the smtp section.
type RelayConfig struct {
	Name                     string       `mapstructure:"name"`
	Host                     string       `mapstructure:"host"`
	Port                     int          `mapstructure:"port"`
	Username                 string       `mapstructure:"username"`
	Password                 string       `mapstructure:"password"`
	TLS                      tlsmode.Mode `mapstructure:"tls"`
	Rate                     float64      `mapstructure:"rate"`
	Concurrency              int          `mapstructure:"concurrency"`
	MaxMessagesPerConnection int          `mapstructure:"max_messages_per_connection"`
}

type SendingConfig struct {
	Rate         float64       `mapstructure:"rate"`
	Concurrency  int           `mapstructure:"concurrency"`
	HourlyLimit  int           `mapstructure:"hourly_limit"`
	DailyLimit   int           `mapstructure:"daily_limit"`
	RetryBackoff time.Duration `mapstructure:"retry_backoff"`
	MaxAttempts  int           `mapstructure:"max_attempts"`
	PauseAfter   int           `mapstructure:"pause_after"`
	// RelayDownPause pauses a campaign when no relay accepts a connection
	// for this long; until then the run waits for the relay.
	RelayDownPause time.Duration `mapstructure:"relay_down_pause"`
	// MaxBounceRate and MaxComplaintRate, in percent of a run's
	// deliveries (after 200 of them), pause a campaign; 0 turns one off.
	MaxBounceRate    float64 `mapstructure:"max_bounce_rate"`
	MaxComplaintRate float64 `mapstructure:"max_complaint_rate"`
}

type SenderConfig struct {
	From          string `mapstructure:"from"`
	ReplyTo       string `mapstructure:"reply_to"`
	BounceAddress string `mapstructure:"bounce_address"`
	PostalAddress string `mapstructure:"postal_address"`
	CFBLAddress   string `mapstructure:"cfbl_address"`
}

type WebConfig struct {
	BaseURL           string    `mapstructure:"base_url"`
	Listen            string    `mapstructure:"listen"`
	Secret            string    `mapstructure:"secret"`
	SiteName          string    `mapstructure:"site_name"`
	TrustProxy        proxyList `mapstructure:"trust_proxy"`
	RateLimit         float64   `mapstructure:"rate_limit"`
	RateBurst         int       `mapstructure:"rate_burst"`
	OneClickRateLimit float64   `mapstructure:"one_click_rate_limit"`
	OneClickRateBurst int       `mapstructure:"one_click_rate_burst"`
	ArchiveRateLimit  float64   `mapstructure:"archive_rate_limit"`
	ArchiveRateBurst  int       `mapstructure:"archive_rate_burst"`
	RateLimitClients  int       `mapstructure:"rate_limit_clients"`
	// StoreIP is how much of the IP address a consent record keeps:
	// truncated, full or none.
	StoreIP   string             `mapstructure:"store_ip"`
	Subscribe WebSubscribeConfig `mapstructure:"subscribe"`
}

// WebSubscribeConfig is web.subscribe: the subscribe forms. Rates are per
// minute; 0 turns a limit off.
type WebSubscribeConfig struct {
	ConfirmTTL           time.Duration `mapstructure:"confirm_ttl"`
	MinFillTime          time.Duration `mapstructure:"min_fill_time"`
	ConsentText          string        `mapstructure:"consent_text"`
	Template             string        `mapstructure:"template"`
	RatePerMinute        float64       `mapstructure:"rate_per_minute"`
	Burst                int           `mapstructure:"burst"`
	AddressRatePerMinute float64       `mapstructure:"address_rate_per_minute"`
	AddressBurst         int           `mapstructure:"address_burst"`
	MailRatePerMinute    float64       `mapstructure:"mail_rate_per_minute"`
	MailBurst            int           `mapstructure:"mail_burst"`
	MailAddressPerMinute float64       `mapstructure:"mail_address_rate_per_minute"`
	MailAddressBurst     int           `mapstructure:"mail_address_burst"`
}

// proxyList is web.trust_proxy: addresses and CIDR prefixes of the reverse
// proxies in front of `dispatch serve`. It was a boolean once; see
// trustProxyHook.
type proxyList []string

// trustProxyHook reads web.trust_proxy. `false` (YAML or environment) keeps
// meaning "no proxy". `true` trusted whatever connected, which cannot be
// said as a list, so it becomes an entry Validate refuses with the new
// form. A string is a comma-separated list (the environment's form).
func trustProxyHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(proxyList(nil)) {
		return data, nil
	}
	switch v := data.(type) {
	case bool:
		if v {
			return proxyList{"true"}, nil
		}
		return proxyList{}, nil
	case string:
		switch v = strings.TrimSpace(v); strings.ToLower(v) {
		case "", "false", "[]":
			return proxyList{}, nil
		}
		return proxyList(strings.Split(v, ",")), nil
	}
	return data, nil
}

type DKIMConfig struct {
	Domain         string `mapstructure:"domain"`
	Selector       string `mapstructure:"selector"`
	PrivateKeyFile string `mapstructure:"private_key_file"`
}

type BouncesConfig struct {
	SoftLimit          int           `mapstructure:"soft_limit"`
	SoftWindow         time.Duration `mapstructure:"soft_window"`
	AddressMatchWindow time.Duration `mapstructure:"address_match_window"`
	IMAP               IMAPConfig    `mapstructure:"imap"`
}

type IMAPConfig struct {
	Host          string        `mapstructure:"host"`
	Port          int           `mapstructure:"port"`
	Username      string        `mapstructure:"username"`
	Password      string        `mapstructure:"password"`
	TLS           tlsmode.Mode  `mapstructure:"tls"`
	Mailbox       string        `mapstructure:"mailbox"`
	Interval      time.Duration `mapstructure:"interval"`
	TLSSkipVerify bool          `mapstructure:"tls_skip_verify"`
}

type WebhooksConfig struct {
	SES      SESWebhookConfig      `mapstructure:"ses"`
	SendGrid SendGridWebhookConfig `mapstructure:"sendgrid"`
	Postmark PostmarkWebhookConfig `mapstructure:"postmark"`
	Mailgun  MailgunWebhookConfig  `mapstructure:"mailgun"`
}

type SESWebhookConfig struct {
	Enabled     bool     `mapstructure:"enabled"`
	TopicARNs   []string `mapstructure:"topic_arns"`
	AutoConfirm bool     `mapstructure:"auto_confirm"`
}

type SendGridWebhookConfig struct {
	PublicKey string `mapstructure:"public_key"`
}

type PostmarkWebhookConfig struct {
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	Token    string `mapstructure:"token"`
}

type MailgunWebhookConfig struct {
	SigningKey string `mapstructure:"signing_key"`
}

// ImportConfig bounds what one CSV row may hold; the attribute limit also
// applies to `subscribers add`.
type ImportConfig struct {
	MaxFieldBytes      int `mapstructure:"max_field_bytes"`
	MaxRowBytes        int `mapstructure:"max_row_bytes"`
	MaxColumns         int `mapstructure:"max_columns"`
	MaxAttributesBytes int `mapstructure:"max_attributes_bytes"`
}

// DefaultConfig is what Dispatch uses for every key nobody set. It is a
// table, one key per line, and reads better whole than split to keep
// under the 80-line rule.
func DefaultConfig() Config {
	return Config{
		Database: DatabaseConfig{
			Path: "dispatch.db",
		},
		SMTP: SMTPConfig{
			Port:                     587,
			TLS:                      tlsmode.StartTLS,
			Timeout:                  30 * time.Second,
			MaxMessagesPerConnection: 100,
		},
		Sending: SendingConfig{
			Rate:             10,
			Concurrency:      4,
			RetryBackoff:     30 * time.Second,
			MaxAttempts:      5,
			PauseAfter:       10,
			RelayDownPause:   10 * time.Minute,
			MaxBounceRate:    5,
			MaxComplaintRate: 0.3,
		},
		Sender: SenderConfig{},
		Web: WebConfig{
			BaseURL:           "http://127.0.0.1:8080",
			Listen:            "127.0.0.1:8080",
			SiteName:          "Dispatch",
			RateLimit:         web.DefaultRatePerSecond,
			RateBurst:         web.DefaultRateBurst,
			OneClickRateLimit: web.DefaultOneClickRatePerSecond,
			OneClickRateBurst: web.DefaultOneClickRateBurst,
			ArchiveRateLimit:  web.DefaultArchiveRatePerSecond,
			ArchiveRateBurst:  web.DefaultArchiveRateBurst,
			RateLimitClients:  web.DefaultMaxClients,
			StoreIP:           string(web.StoreIPTruncated),
			Subscribe: WebSubscribeConfig{
				ConfirmTTL:           web.DefaultConfirmTTL,
				MinFillTime:          web.DefaultMinFillTime,
				ConsentText:          web.DefaultConsentText,
				RatePerMinute:        web.DefaultSubscribeRate * 60,
				Burst:                web.DefaultSubscribeBurst,
				AddressRatePerMinute: web.DefaultAddressRate * 60,
				AddressBurst:         web.DefaultAddressBurst,
				MailRatePerMinute:    web.DefaultConfirmMailRate * 60,
				MailBurst:            web.DefaultConfirmMailBurst,
				MailAddressPerMinute: web.DefaultConfirmAddressRate * 60,
				MailAddressBurst:     web.DefaultConfirmAddressBurst,
			},
		},
		Bounces: BouncesConfig{
			SoftLimit:          3,
			SoftWindow:         30 * 24 * time.Hour,
			AddressMatchWindow: 14 * 24 * time.Hour,
			IMAP: IMAPConfig{
				Port:     993,
				TLS:      tlsmode.Implicit,
				Mailbox:  "INBOX",
				Interval: 5 * time.Minute,
			},
		},
		Webhooks: WebhooksConfig{
			SES: SESWebhookConfig{
				AutoConfirm: true,
			},
		},
		Import: importDefaults(),
		Admin: AdminConfig{
			Enabled:           true,
			Listen:            console.DefaultListen,
			SessionIdle:       accounts.DefaultIdleTimeout,
			SessionLifetime:   accounts.DefaultLifetime,
			MaxUploadMB:       console.DefaultMaxUploadMB,
			TypedConfirmAbove: console.DefaultTypedConfirmAbove,
		},
		Backup: BackupConfig{
			Interval:   24 * time.Hour,
			Keep:       7,
			BusyMBPerS: 10,
		},
		Tracking: TrackingConfig{
			Clicks:        "off",
			Opens:         "off",
			ScannerWindow: time.Minute,
		},
	}
}

// defaultIMAPPort is the IMAP port for a TLS mode: 993 for implicit TLS
// (IMAPS), 143 for plain IMAP, with or without STARTTLS (RFC 9051).
func defaultIMAPPort(mode tlsmode.Mode) int {
	if mode == tlsmode.Implicit {
		return 993
	}
	return 143
}

// Validate checks values that would otherwise fail late, naming the key.
func (c *Config) Validate() error {
	var p problems
	c.validateSMTP(&p)
	c.validateSending(&p)
	c.validateSender(&p)
	c.validateWeb(&p)
	c.validateBounces(&p)
	c.validateAdmin(&p)
	c.validateBackup(&p)
	c.validateTracking(&p)
	return errors.Join(p...)
}

// problems collects invalid configuration values.
type problems []error

func (p *problems) bad(key, format string, args ...any) {
	*p = append(*p, &fieldError{key: key, msg: fmt.Sprintf(format, args...)})
}

// validateSMTP checks the smtp section and the database path.
func (c *Config) validateSMTP(p *problems) {
	if c.Database.Path == "" {
		p.bad("database.path", "must not be empty")
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		p.bad("smtp.port", "%d is not a port number", c.SMTP.Port)
	}
	if c.SMTP.Timeout < 0 {
		p.bad("smtp.timeout", "must not be negative")
	}
	if c.SMTP.MaxMessagesPerConnection < 0 {
		p.bad("smtp.max_messages_per_connection", "must not be negative")
	}
	for i, r := range c.SMTP.Relays {
		key := fmt.Sprintf("smtp.relays[%d]", i)
		if r.Host == "" {
			p.bad(key+".host", "must be set")
		}
		if r.Rate < 0 || r.Concurrency < 0 {
			p.bad(key, "rate and concurrency must not be negative")
		}
	}
}

// validateSending checks the sending section.
func (c *Config) validateSending(p *problems) {
	if c.Sending.Rate < 0 {
		p.bad("sending.rate", "must be 0 (unlimited) or more messages per second")
	}
	if c.Sending.Concurrency < 1 || c.Sending.Concurrency > 100 {
		p.bad("sending.concurrency", "%d is not between 1 and 100 connections", c.Sending.Concurrency)
	}
	if c.Sending.HourlyLimit < 0 || c.Sending.DailyLimit < 0 {
		p.bad("sending.hourly_limit", "limits must be 0 (none) or more")
	}
	if c.Sending.RetryBackoff <= 0 {
		p.bad("sending.retry_backoff", "must be a positive duration like 30s")
	}
	if c.Sending.MaxAttempts < 1 {
		p.bad("sending.max_attempts", "must be at least 1")
	}
	if c.Sending.PauseAfter < 1 {
		p.bad("sending.pause_after", "must be at least 1")
	}
	if r := c.Sending.MaxBounceRate; r < 0 || r > 100 {
		p.bad("sending.max_bounce_rate", "must be a percentage from 0 (off) to 100, like 5")
	}
	if r := c.Sending.MaxComplaintRate; r < 0 || r > 100 {
		p.bad("sending.max_complaint_rate", "must be a percentage from 0 (off) to 100, like 0.3")
	}
	if c.Sending.RelayDownPause <= 0 {
		p.bad("sending.relay_down_pause", "must be a positive duration like 10m")
	}
}

// validateSender checks the sender and dkim sections.
func (c *Config) validateSender(p *problems) {
	for key, val := range map[string]string{"sender.from": c.Sender.From, "sender.reply_to": c.Sender.ReplyTo} {
		if val != "" {
			if _, err := mail.ParseAddress(val); err != nil {
				p.bad(key, "%q is not an address: %v", val, err)
			}
		}
	}
	if c.Sender.BounceAddress != "" {
		if a, err := mail.ParseAddress(c.Sender.BounceAddress); err != nil || a.Name != "" {
			p.bad("sender.bounce_address", "%q must be a bare address like bounces@example.com", c.Sender.BounceAddress)
		}
	}
	if (c.DKIM.Domain != "" || c.DKIM.Selector != "" || c.DKIM.PrivateKeyFile != "") &&
		(c.DKIM.Domain == "" || c.DKIM.Selector == "" || c.DKIM.PrivateKeyFile == "") {
		p.bad("dkim", "domain, selector and private_key_file must be set together")
	}
}

// validateWeb checks the web section.
func (c *Config) validateWeb(p *problems) {
	if c.Web.BaseURL != "" {
		if u, err := url.Parse(c.Web.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.bad("web.base_url", "%q is not an http(s) URL", c.Web.BaseURL)
		}
	}
	if len(c.Web.TrustProxy) == 1 && strings.EqualFold(strings.TrimSpace(c.Web.TrustProxy[0]), "true") {
		p.bad("web.trust_proxy", "true is no longer accepted: list the addresses of the reverse proxies in front of dispatch serve, "+
			"e.g. trust_proxy: [127.0.0.1] or [10.0.0.0/8] (false or [] trusts none)")
	} else if _, err := web.ParseTrustedProxies(c.Web.TrustProxy); err != nil {
		p.bad("web.trust_proxy", "%v", err)
	}
	if c.Web.RateLimit < 0 || c.Web.OneClickRateLimit < 0 {
		p.bad("web.rate_limit", "rate_limit and one_click_rate_limit must be 0 (no limit) or more requests per second")
	}
	if c.Web.RateBurst < 1 || c.Web.OneClickRateBurst < 1 {
		p.bad("web.rate_burst", "rate_burst and one_click_rate_burst must be at least 1")
	}
	if c.Web.ArchiveRateLimit < 0 {
		p.bad("web.archive_rate_limit", "must be 0 (no limit) or more requests per second")
	}
	if c.Web.ArchiveRateBurst < 1 {
		p.bad("web.archive_rate_burst", "must be at least 1")
	}
	if c.Web.RateLimitClients < 1 {
		p.bad("web.rate_limit_clients", "must be at least 1")
	}
	if _, err := web.ParseStoreIP(c.Web.StoreIP); err != nil {
		p.bad("web.store_ip", "%q is not truncated, full or none", c.Web.StoreIP)
	}
	sc := c.Web.Subscribe
	if sc.ConfirmTTL < time.Hour {
		p.bad("web.subscribe.confirm_ttl", "must be a duration of at least 1h, like 168h (7 days)")
	}
	if sc.MinFillTime < 0 || sc.MinFillTime > time.Minute {
		p.bad("web.subscribe.min_fill_time", "must be between 0s and 1m, like 3s")
	}
	for key, r := range map[string]float64{"rate_per_minute": sc.RatePerMinute, "address_rate_per_minute": sc.AddressRatePerMinute,
		"mail_rate_per_minute": sc.MailRatePerMinute, "mail_address_rate_per_minute": sc.MailAddressPerMinute} {
		if r < 0 {
			p.bad("web.subscribe."+key, "must be 0 (no limit) or more per minute")
		}
	}
	for key, b := range map[string]int{"burst": sc.Burst, "address_burst": sc.AddressBurst, "mail_burst": sc.MailBurst,
		"mail_address_burst": sc.MailAddressBurst} {
		if b < 1 {
			p.bad("web.subscribe."+key, "must be at least 1")
		}
	}
	if c.Web.Secret != "" {
		if err := subscribers.CheckSecret(c.Web.Secret); err != nil {
			p.bad("web.secret", "%v; make a good one with `openssl rand -base64 32` or `%s secret`", err, selfCommand())
		}
	}
}

// validateBounces checks the bounces, webhooks and import sections.
func (c *Config) validateBounces(p *problems) {
	if c.Bounces.SoftLimit < 1 || c.Bounces.SoftWindow <= 0 {
		p.bad("bounces.soft_limit", "soft_limit must be at least 1 and soft_window positive")
	}
	if c.Bounces.AddressMatchWindow <= 0 {
		p.bad("bounces.address_match_window", "must be a positive duration like 336h (14 days)")
	}
	if c.Bounces.IMAP.Host != "" {
		if c.Bounces.IMAP.Interval < time.Second {
			p.bad("bounces.imap.interval", "must be at least 1s")
		}
	}
	if c.Webhooks.SES.Enabled && len(c.Webhooks.SES.TopicARNs) == 0 {
		p.bad("webhooks.ses.topic_arns", "is required when webhooks.ses.enabled is true: list the SNS topic ARNs "+
			"SES publishes to (arn:aws:sns:REGION:ACCOUNT:NAME); without it any AWS account could post bounces")
	}
	for i, arn := range c.Webhooks.SES.TopicARNs {
		if err := webhook.CheckTopicARN(arn); err != nil {
			p.bad(fmt.Sprintf("webhooks.ses.topic_arns[%d]", i), "%v", err)
		}
	}
	for key, n := range map[string]int{
		"import.max_field_bytes":      c.Import.MaxFieldBytes,
		"import.max_row_bytes":        c.Import.MaxRowBytes,
		"import.max_columns":          c.Import.MaxColumns,
		"import.max_attributes_bytes": c.Import.MaxAttributesBytes,
	} {
		if n < 1 {
			p.bad(key, "must be at least 1")
		}
	}
}

// validateAdmin checks the admin section.
func (c *Config) validateAdmin(p *problems) {
	if !c.Admin.Enabled {
		return
	}
	if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
		p.bad("admin.listen", "%q is not host:port", c.Admin.Listen)
	} else if c.Admin.Listen == c.Web.Listen && !strings.HasSuffix(c.Admin.Listen, ":0") {
		p.bad("admin.listen", "%q is also web.listen: the console needs its own listener", c.Admin.Listen)
	}
	if c.Admin.BaseURL != "" {
		if u, err := url.Parse(c.Admin.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.bad("admin.base_url", "%q is not an http(s) URL", c.Admin.BaseURL)
		}
	}
	if c.Admin.TypedConfirmAbove < 1 {
		p.bad("admin.typed_confirm_above", "must be at least 1")
	}
	if c.Admin.SessionIdle <= 0 {
		p.bad("admin.session_idle_timeout", "must be positive")
	}
	if c.Admin.SessionLifetime < c.Admin.SessionIdle {
		p.bad("admin.session_lifetime", "must be at least admin.session_idle_timeout")
	}
	if c.Admin.MaxUploadMB <= 0 || c.Admin.MaxUploadMB > 1<<20 {
		p.bad("admin.max_upload_mb", "%d: want a size in megabytes, from 1", c.Admin.MaxUploadMB)
	}
}

// validateBackup checks the backup section.
func (c *Config) validateBackup(p *problems) {
	if c.Backup.Interval < time.Second {
		p.bad("backup.interval", "must be at least 1s, like 6h or 24h")
	}
	if c.Backup.Keep < 0 {
		p.bad("backup.keep", "must be 0 (keep every backup) or more, not %d", c.Backup.Keep)
	}
	if c.Backup.MaxMBPerS < 0 {
		p.bad("backup.max_mb_per_s", "must be 0 (no cap) or more megabytes a second, not %d", c.Backup.MaxMBPerS)
	}
	if c.Backup.BusyMBPerS < 0 {
		p.bad("backup.busy_mb_per_s", "must be 0 (no cap) or more megabytes a second, not %d", c.Backup.BusyMBPerS)
	}
}

func importDefaults() ImportConfig {
	d := subscribers.DefaultImportLimits()
	return ImportConfig{
		MaxFieldBytes:      d.MaxFieldBytes,
		MaxRowBytes:        d.MaxRowBytes,
		MaxColumns:         d.MaxColumns,
		MaxAttributesBytes: d.MaxAttributesBytes,
	}
}

// limits is the import section as the store takes it.
func (c ImportConfig) limits() subscribers.ImportLimits {
	return subscribers.ImportLimits{
		MaxFieldBytes:      c.MaxFieldBytes,
		MaxRowBytes:        c.MaxRowBytes,
		MaxColumns:         c.MaxColumns,
		MaxAttributesBytes: c.MaxAttributesBytes,
	}
}
