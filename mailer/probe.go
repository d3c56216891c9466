package mailer

import (
	"context"
	"crypto/tls"
	"time"
)

// RelayProbe is what connecting to a relay showed, without sending mail.
type RelayProbe struct {
	TLS        bool
	TLSVersion string
	// Verified is true when the certificate was checked against trusted
	// roots (TLS on and tls_skip_verify off).
	Verified   bool
	Extensions map[string]string // the EHLO keywords of probedExtensions offered
	// RTT is one command round trip (NOOP) on the open session.
	RTT time.Duration
}

var probedExtensions = []string{"PIPELINING", "SIZE", "CHUNKING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH", "DSN"}

// Probe connects to relay i exactly as a send would (TLS, STARTTLS, AUTH,
// EHLO), reads what it offers, and closes with QUIT. It sends no mail.
func (s *Sender) Probe(ctx context.Context, i int) (RelayProbe, error) {
	rs := s.relays[i]
	cn := &conn{relay: rs, idle: s.cfg.IdleTimeout}
	defer cn.close()
	if err := cn.ensure(ctx, s.cfg.Now()); err != nil {
		return RelayProbe{}, err
	}
	p := RelayProbe{Extensions: map[string]string{}}
	if st, ok := cn.sc.TLSConnectionState(); ok {
		p.TLS, p.TLSVersion = true, tls.VersionName(st.Version)
		p.Verified = !rs.cfg.InsecureSkipVerify
	}
	for _, ext := range probedExtensions {
		if ok, param := cn.sc.Extension(ext); ok {
			p.Extensions[ext] = param
		}
	}
	start := time.Now()
	if err := cn.sc.Noop(); err != nil {
		return p, err
	}
	p.RTT = time.Since(start)
	return p, nil
}
