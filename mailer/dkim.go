package mailer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
)

// DKIM signs messages for Domain with the key published at
// Selector._domainkey.Domain.
type DKIM struct {
	Domain   string
	Selector string
	Key      crypto.Signer // RSA or Ed25519, e.g. from ParseDKIMKey
}

// dkimHeaders are signed on every message: those RFC 6376 section 5.4.1
// recommends, and the list headers, which Gmail and Yahoo only honour
// for one-click unsubscribe when the signature covers them, as RFC 9477
// requires for the CFBL fields. Reply-To is
// listed even when absent, so that adding one breaks the signature.
var dkimHeaders = []string{"From", "Reply-To", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "Feedback-ID", "CFBL-Address", "CFBL-Feedback-ID"}

// dkimSigner signs built messages, relaxed/relaxed with SHA-256. Workers
// share it; go-msgauth only reads the options.
type dkimSigner struct {
	opts dkim.SignOptions
}

func (d *DKIM) signer() (*dkimSigner, error) {
	if d.Domain == "" || d.Selector == "" || d.Key == nil {
		return nil, errors.New("dkim: domain, selector and private key are all required")
	}
	switch d.Key.Public().(type) {
	case ed25519.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("dkim: key is %T; want RSA or Ed25519", d.Key.Public())
	}
	s := &dkimSigner{opts: dkim.SignOptions{Domain: d.Domain, Selector: d.Selector, Signer: d.Key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: dkimHeaders}}
	// Prove the key can sign before any message depends on it.
	if _, err := s.sign([]byte("From: <check@" + d.Domain + ">\r\n\r\n")); err != nil {
		return nil, err
	}
	return s, nil
}

// sign returns the DKIM-Signature field, CRLF included, for msg.
func (s *dkimSigner) sign(msg []byte) (string, error) {
	sg, err := dkim.NewSigner(&s.opts)
	if err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	}
	if _, err := sg.Write(msg); err != nil {
		_ = sg.Close()
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	if err := sg.Close(); err != nil {
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	return sg.Signature(), nil
}

// ParseDKIMKey reads a PEM private key (RSA or Ed25519) for signing.
func ParseDKIMKey(pemBytes []byte) (crypto.Signer, error) {
	return gomail.PrivKeyFromPEM(pemBytes)
}
