// Package doctor checks everything between "configured" and "lands in the
// inbox": the configuration, the DNS records receivers use to authenticate
// mail (SPF, DKIM, DMARC, MX, BIMI), the relay, the one-click unsubscribe
// endpoint and a rendered message. Each check ends OK, WARN or FAIL, with a
// hint that gives the exact record to publish where it can be computed.
//
// The package holds no configuration of its own and imports no other
// Dispatch package: the command fills a Config and passes in what it needs
// to reach the relay and build a message.
package doctor
