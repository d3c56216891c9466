package doctor

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"
)

// resolverAPI is what the checks ask of DNS; *net.Resolver has it, and so
// does the SPF library's resolver interface.
type resolverAPI interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// resolver returns the standard resolver, pointed at c.Resolver when set.
// The pure-Go resolver is used so that the server setting is honoured.
func (c *Config) resolver() resolverAPI {
	if c.Resolver == "" {
		return net.DefaultResolver
	}
	server := c.Resolver
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		return d.DialContext(ctx, network, server)
	}}
}

// notFound reports a lookup that found no record, as opposed to one that
// could not be answered.
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// txtWith returns the TXT records of name that start with prefix
// (case-insensitively), e.g. "v=spf1". A TXT record may come in several
// strings; Go joins them.
func txtWith(ctx context.Context, res resolverAPI, name, prefix string) ([]string, error) {
	recs, err := res.LookupTXT(ctx, name)
	if err != nil {
		if notFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, t := range recs {
		t = strings.TrimSpace(t)
		if len(t) >= len(prefix) && strings.EqualFold(t[:len(prefix)], prefix) {
			out = append(out, t)
		}
	}
	return out, nil
}
