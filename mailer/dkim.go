package mailer

import (
	"crypto"
	"errors"

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
	s := gomail.NewDKIMSigner(d.Domain, d.Selector, d.Key)
	s.SignHeaders(dkimHeaders...)
	return s, nil
}

// ParseDKIMKey reads a PEM private key (RSA or Ed25519) for signing.
func ParseDKIMKey(pemBytes []byte) (crypto.Signer, error) {
	return gomail.PrivKeyFromPEM(pemBytes)
}
