package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"
)

func newSecretCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "secret",
		Short: "Print a new random web.secret",
		Long: `Secret prints 32 random bytes in hex, a key fit for web.secret (the key
that signs unsubscribe links and bounce addresses). It reads no
configuration, so it works while the configured secret is refused.

Changing web.secret invalidates the links in messages already sent.`,
		Example: `  dispatch secret
  DISPATCH_WEB_SECRET=$(dispatch secret) dispatch serve`,
		Args:        exactArgs(0),
		Annotations: map[string]string{skipConfig: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := newSecret()
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, s)
			return nil
		},
	}
}

// newSecret makes a signing key with 256 bits of randomness.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
