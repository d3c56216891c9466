package smtptest

import "log/slog"

// TLSMode says how a Server offers TLS.
type TLSMode int

const (
	// TLSNone serves plain SMTP and does not advertise STARTTLS.
	TLSNone TLSMode = iota
	// TLSStartTLS serves plain SMTP and advertises STARTTLS (RFC 3207).
	TLSStartTLS
	// TLSImplicit wraps every connection in TLS from the first byte
	// (RFC 8314 "submissions", port 465 style).
	TLSImplicit
)

// Config configures a Server. The zero value is a plain SMTP server that
// accepts every message and keeps its body.
type Config struct {
	// Username, when set, makes the server advertise AUTH PLAIN and refuse
	// MAIL FROM with "530 5.7.0" until the client authenticated with
	// Username and Password.
	Username string
	Password string
	// AuthRequiresTLS hides AUTH until the connection is encrypted, as real
	// relays do. By default AUTH is offered on plain connections too.
	AuthRequiresTLS bool

	// TLS selects STARTTLS or implicit TLS with a self-signed certificate
	// for 127.0.0.1 and localhost; see Server.RootCAs.
	TLS TLSMode

	// MaxMessageBytes, when positive, is advertised as SIZE and enforced:
	// larger messages get "552 5.3.4".
	MaxMessageBytes int64

	// MaxLineLength limits the length of a line, commands and message
	// lines alike; a longer line gets "500 5.4.0" and the connection is
	// closed. 0 keeps go-smtp's limit of 2000 bytes, which catches
	// unwrapped HTML (RFC 5322 allows 998). Negative turns the check off,
	// which saves about a sixth of the server's CPU in throughput runs.
	MaxLineLength int

	// DiscardBodies keeps the envelope and arrival time of each message but
	// not its bytes (Message.Data is nil), so long throughput benchmarks do
	// not hold every body in memory.
	DiscardBodies bool

	// HideExtensions are EHLO keywords go-smtp offers that the server must
	// not advertise, such as "PIPELINING" or "CHUNKING". Plain-text
	// connections only: after STARTTLS or with implicit TLS everything
	// go-smtp offers is advertised.
	HideExtensions []string

	// Logger receives go-smtp's connection errors. Nil discards them.
	Logger *slog.Logger
}

// Option adjusts the Config of a Server created by NewServer.
type Option func(*Config)

// RequireAuth makes the server demand AUTH PLAIN with these credentials.
func RequireAuth(username, password string) Option {
	return func(c *Config) { c.Username, c.Password = username, password }
}

// AuthRequiresTLS offers AUTH only on encrypted connections.
func AuthRequiresTLS() Option {
	return func(c *Config) { c.AuthRequiresTLS = true }
}

// StartTLS advertises STARTTLS with a self-signed certificate.
func StartTLS() Option {
	return func(c *Config) { c.TLS = TLSStartTLS }
}

// ImplicitTLS serves TLS from the first byte with a self-signed certificate.
func ImplicitTLS() Option {
	return func(c *Config) { c.TLS = TLSImplicit }
}

// MaxMessageBytes limits the size of a message (SIZE extension, RFC 1870).
func MaxMessageBytes(n int64) Option {
	return func(c *Config) { c.MaxMessageBytes = n }
}

// MaxLineLength sets Config.MaxLineLength.
func MaxLineLength(n int) Option {
	return func(c *Config) { c.MaxLineLength = n }
}

// DiscardBodies records envelopes and counts but not message bytes.
func DiscardBodies() Option {
	return func(c *Config) { c.DiscardBodies = true }
}

// HideExtensions stops the server from advertising these EHLO keywords
// (see Config.HideExtensions).
func HideExtensions(keywords ...string) Option {
	return func(c *Config) { c.HideExtensions = append(c.HideExtensions, keywords...) }
}
