package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns 256 random bits, base64url without padding (43
// characters): session ids, CSRF tokens.
func NewToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never returns an error (Go 1.24+); it crashes the
	// program rather than return predictable bytes.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what the database keeps of a session id or recovery code:
// SHA-256, hex. A stolen database (or backup) then holds no usable session.
// A fast hash is enough: the ids carry 256 bits of randomness.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
