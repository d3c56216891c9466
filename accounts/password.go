package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MinPasswordLength is the shortest password accepted, in characters.
// Length is the one rule that measurably helps (NIST SP 800-63B); there are
// no composition rules.
const MinPasswordLength = 12

// maxPasswordLength bounds the work one login attempt can cause.
const maxPasswordLength = 1024

// argon2id parameters: OWASP's first recommended configuration (19 MiB,
// 2 passes, 1 lane). A check takes tens of milliseconds, which with the
// login throttle bounds guessing; CheckPassword reads the parameters from
// each hash, so they can be raised later without breaking old hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// CheckPasswordRules returns an ErrInvalid error naming what is wrong with
// a new password.
func CheckPasswordRules(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("password is not valid UTF-8: %w", ErrInvalid)
	case n < MinPasswordLength:
		return fmt.Errorf("password is %d characters; it must have at least %d: %w", n, MinPasswordLength, ErrInvalid)
	case len(pw) > maxPasswordLength:
		return fmt.Errorf("password is longer than %d bytes: %w", maxPasswordLength, ErrInvalid)
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is checked against when there is no such user, so an unknown
// address costs the same time as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("no such user: this hash is never matched")
	if err != nil {
		panic(err)
	}
	return h
}()

// CheckPassword reports whether pw matches hash. It takes the same time
// for a wrong password as for a right one (the comparison is constant-time)
// and reads its cost parameters from the hash, so hashes made with older
// parameters keep working.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(pw) > maxPasswordLength {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || t == 0 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
