package mailer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"
)

// DKIM signs messages for Domain with the key published at
// Selector._domainkey.Domain.
type DKIM struct {
	Domain   string
	Selector string
	Key      crypto.Signer // RSA or Ed25519, e.g. from gomail.PrivKeyFromPEM
}

// dkimHeaders are signed on every message. The list is kept short on
// purpose: go-mail v0.8.1 folds a long h= tag inside a header name, which
// breaks relaxed canonicalization (see docs/DKIM.md); these fit.
var dkimHeaders = []string{"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"}

func (d *DKIM) signer() (*gomail.DKIMSigner, error) {
	if d.Domain == "" || d.Selector == "" || d.Key == nil {
		return nil, errors.New("dkim: domain, selector and private key are all required")
	}
	switch d.Key.Public().(type) {
	case ed25519.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("dkim: key is %T; want RSA or Ed25519", d.Key.Public())
	}
	s := gomail.NewDKIMSigner(d.Domain, d.Selector, d.Key)
	s.SignHeaders(dkimHeaders...)
	// go-mail's Signer records its algorithm on the first Sign, a write
	// that races when the workers share it. One signature now settles it
	// before any worker starts, and proves the key can sign.
	if _, err := s.Sign([]byte("From: <check@"+d.Domain+">\r\n"), []byte("\r\n")); err != nil {
		return nil, fmt.Errorf("dkim: sign with the key: %w", err)
	}
	return s, nil
}

// ParseDKIMKey reads a PEM private key (RSA or Ed25519) for signing.
func ParseDKIMKey(pemBytes []byte) (crypto.Signer, error) {
	return gomail.PrivKeyFromPEM(pemBytes)
}
