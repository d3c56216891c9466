package subscribers_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestCheckSecret(t *testing.T) {
	tests := []struct {
		secret string
		want   string // "" accepts; otherwise part of the refusal
	}{
		// What the documented commands print (openssl rand -base64 32, -hex 16, -hex 32).
		{"UBcPQdnWrzUecGzS2Gr3vrRK5efrnMFeTajTz6UF28o=", ""},
		{"e/5E3L/uJbD4v4KT5RSwCJUUVimdzflvXcy8ZUp4MKg=", ""},
		{"0b27b181e1d363e8a5b2090d1acb1673", ""},
		{"47ae660cde88fa65d5d406bdcc8902f2", ""},
		{"4f98a5bbed994dbc2fdb8471b8d4c81a2bdd91f225ab54c1a49808f5db1ba8c2", ""},
		// The placeholder config.example.yaml and the README used to carry, and its kin.
		{"change-me-to-a-long-random-string", "placeholder"},
		{"Change-Me", "placeholder"},
		{"changeme-please-really", "placeholder"},
		{"your-secret-here", "placeholder"},
		{"supersecret", "placeholder"},
		// Too short or too regular, however long.
		{"51f123e79e8ff7d7", "predictable"}, // 64 bits
		{"rOlWg8FLKx1md8z4", "predictable"}, // 16 random characters, about 95 bits
		{strings.Repeat("a", 64), "predictable"},
		{"0123456789abcdefghijklmnopqrstuvwxyz", "predictable"},
		{"qwertyqwertyqwertyqwertyqwertyqwerty", "predictable"},
		{"e2e-secret-0123456789abcdef", "predictable"},
		{"abcabcabcabcabcabcabcabcabcabcabcabc", "predictable"},
	}
	for _, tc := range tests {
		err := subscribers.CheckSecret(tc.secret)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckSecret(%q) = %v; want it accepted", tc.secret, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckSecret(%q) = %v; want a refusal mentioning %q", tc.secret, err, tc.want)
		}
	}
}

// TestCheckSecretAcceptsRandomKeys draws fresh 128-bit keys in the forms
// people make them: the estimate must not refuse real randomness.
func TestCheckSecretAcceptsRandomKeys(t *testing.T) {
	for range 200 {
		var b [16]byte
		rand.Read(b[:])
		for _, s := range []string{hex.EncodeToString(b[:]), base64.StdEncoding.EncodeToString(b[:]), base64.RawURLEncoding.EncodeToString(b[:])} {
			if err := subscribers.CheckSecret(s); err != nil {
				t.Errorf("random 128-bit key %q: %v", s, err)
			}
		}
	}
	var b [12]byte
	rand.Read(b[:])
	if err := subscribers.CheckSecret(hex.EncodeToString(b[:])); err == nil {
		t.Errorf("a 96-bit key was accepted")
	}
}
