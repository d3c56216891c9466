package web

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// StoreIP is how much of a confirming person's IP address the consent
// record keeps (web.store_ip).
type StoreIP string

const (
	// StoreIPTruncated keeps the network, not the host: an IPv4 /24 or an
	// IPv6 /48. Enough to show where a confirmation came from, not who.
	StoreIPTruncated StoreIP = "truncated"
	// StoreIPFull keeps the whole address.
	StoreIPFull StoreIP = "full"
	// StoreIPNone keeps no address.
	StoreIPNone StoreIP = "none"
)

// ParseStoreIP reads web.store_ip; "" is the default, truncated.
func ParseStoreIP(s string) (StoreIP, error) {
	switch StoreIP(strings.ToLower(strings.TrimSpace(s))) {
	case "", StoreIPTruncated:
		return StoreIPTruncated, nil
	case StoreIPFull:
		return StoreIPFull, nil
	case StoreIPNone:
		return StoreIPNone, nil
	}
	return "", fmt.Errorf("store_ip %q: want truncated, full or none", s)
}

// keep returns ip as the mode records it.
func (m StoreIP) keep(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	switch m {
	case StoreIPFull:
		return ip.String()
	case StoreIPNone:
		return ""
	}
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p.Addr().String()
}

// Defaults of SubscribeConfig.
const (
	DefaultConfirmTTL          = 7 * 24 * time.Hour
	DefaultMinFillTime         = 3 * time.Second
	DefaultSubscribeRate       = 10.0 / 60 // per client: 10 POSTs a minute …
	DefaultSubscribeBurst      = 10        // … after 10 at once
	DefaultAddressRate         = 1.0 / 60  // per address typed
	DefaultAddressBurst        = 5
	DefaultConfirmMailRate     = 1.0 / 60 // confirmation mails per client
	DefaultConfirmMailBurst    = 5
	DefaultConfirmAddressRate  = 1.0 / 600 // per address: one mail every 10 min …
	DefaultConfirmAddressBurst = 2         // … after 2
	DefaultConsentText         = "I want to receive {list} by email. I can unsubscribe at any time with the link in every email."
)

// SubscribeConfig configures the subscribe forms (/subscribe/{list}).
type SubscribeConfig struct {
	// ConfirmTTL is how long a confirmation link works
	// (web.subscribe.confirm_ttl).
	ConfirmTTL time.Duration
	// MinFillTime is how long a form must have been open before its POST
	// counts (web.subscribe.min_fill_time): bots post at once.
	MinFillTime time.Duration
	// ConsentText is the wording the form shows and the consent record
	// keeps; {list} is replaced by the list's title
	// (web.subscribe.consent_text).
	ConsentText string
	// StoreIP is how much of the IP address the consent record keeps
	// (web.store_ip).
	StoreIP StoreIP

	// Rate limits, each a token bucket (per second, burst). A negative
	// rate disables one. POSTs are limited per client IP and per address
	// typed; confirmation mails too, so that no one can be mail-bombed.
	RatePerSecond        float64
	RateBurst            int
	AddressRatePerSecond float64
	AddressRateBurst     int
	MailRatePerSecond    float64
	MailRateBurst        int
	MailAddressPerSecond float64
	MailAddressBurst     int
}

func (c SubscribeConfig) withDefaults() SubscribeConfig {
	if c.ConfirmTTL <= 0 {
		c.ConfirmTTL = DefaultConfirmTTL
	}
	if c.MinFillTime == 0 {
		c.MinFillTime = DefaultMinFillTime
	}
	if strings.TrimSpace(c.ConsentText) == "" {
		c.ConsentText = DefaultConsentText
	}
	if c.StoreIP == "" {
		c.StoreIP = StoreIPTruncated
	}
	rate := func(r *float64, b *int, dr float64, db int) {
		if *r == 0 {
			*r = dr
		}
		if *b <= 0 {
			*b = db
		}
	}
	rate(&c.RatePerSecond, &c.RateBurst, DefaultSubscribeRate, DefaultSubscribeBurst)
	rate(&c.AddressRatePerSecond, &c.AddressRateBurst, DefaultAddressRate, DefaultAddressBurst)
	rate(&c.MailRatePerSecond, &c.MailRateBurst, DefaultConfirmMailRate, DefaultConfirmMailBurst)
	rate(&c.MailAddressPerSecond, &c.MailAddressBurst, DefaultConfirmAddressRate, DefaultConfirmAddressBurst)
	return c
}

// Consent is the wording shown for a list (its title, as recipients know it).
func (c SubscribeConfig) Consent(listName string) string {
	text := c.ConsentText
	if strings.TrimSpace(text) == "" {
		text = DefaultConsentText
	}
	return strings.ReplaceAll(text, "{list}", listName)
}
