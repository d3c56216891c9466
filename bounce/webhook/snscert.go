package webhook

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// maxCachedCerts bounds the certificate cache. SNS uses one certificate per
// region at a time, so a handful of entries covers rotations; past the bound
// the cache starts over rather than growing on attacker-chosen (but still
// amazonaws.com) URLs.
const maxCachedCerts = 16

// certCache holds SNS signing certificates by URL.
type certCache struct {
	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

func (c *certCache) get(u string) *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.certs[u]
}

func (c *certCache) put(u string, cert *x509.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certs == nil || len(c.certs) >= maxCachedCerts {
		c.certs = map[string]*x509.Certificate{}
	}
	c.certs[u] = cert
}

func (c *certCache) drop(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.certs, u)
}

// snsKey returns the RSA key of the certificate at u (already host-checked),
// fetching it once and caching it until it expires.
func (v *Verifier) snsKey(ctx context.Context, u *url.URL) (*rsa.PublicKey, error) {
	key := u.String()
	cert := v.certs.get(key)
	if cert != nil && v.now().After(cert.NotAfter) {
		v.certs.drop(key)
		cert = nil
	}
	if cert == nil {
		var err error
		if cert, err = v.fetchCert(ctx, key); err != nil {
			return nil, err
		}
		now := v.now()
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return nil, unauthorized("sns signing cert %s is not valid now (%s to %s)",
				key, cert.NotBefore.UTC().Format("2006-01-02"), cert.NotAfter.UTC().Format("2006-01-02"))
		}
		v.certs.put(key, cert)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, unauthorized("sns signing cert %s has a %T key, want RSA", key, cert.PublicKey)
	}
	return pub, nil
}

// fetchCert downloads and parses a PEM certificate. Transport failures are
// returned unwrapped so the caller answers 5xx and SNS retries.
func (v *Verifier) fetchCert(ctx context.Context, u string) (*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch sns signing cert: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch sns signing cert: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch sns signing cert %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes))
	if err != nil {
		return nil, fmt.Errorf("fetch sns signing cert: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("fetch sns signing cert %s: no PEM certificate", u)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse sns signing cert %s: %w", u, err)
	}
	return cert, nil
}

// errNoRedirect stops the client at the first redirect.
var errNoRedirect = errors.New("redirects are not followed")

// noRedirects returns a copy of c (or a default client) that refuses
// redirects: a redirect could lead away from the checked SNS host.
func noRedirects(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Timeout = defaultHTTPTimeout
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return errNoRedirect }
	return &out
}
