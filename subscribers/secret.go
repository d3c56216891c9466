package subscribers

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// MinSecretBits is the least estimated randomness CheckSecret accepts: a
// signing key anyone can guess lets them unsubscribe or suppress anyone.
// 100 bits admits `openssl rand -hex 16` (128 bits, estimated a little
// lower) and rejects anything a person makes up.
const MinSecretBits = 100

// placeholderSecrets are secrets published in our own documents or commonly left
// in place by whoever copies a sample configuration, compared after
// dropping case and everything but letters and digits.
var placeholderSecrets = []string{
	"changemetoalongrandomstring", // config.example.yaml until issue 8
	"changeme", "changethis", "replaceme", "replacethis", "yoursecret", "yoursecrethere",
	"mysecret", "secret", "secretkey", "supersecret", "topsecret", "password", "placeholder",
	"example", "dispatch", "dispatchsecret", "todo", "fixme", "xxx", "test", "default",
}

// CheckSecret refuses a signing secret that is a known placeholder or is
// too predictable to keep links and tokens unforgeable.
func CheckSecret(secret string) error {
	norm := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, secret)
	for _, p := range placeholderSecrets {
		// A placeholder with a few characters changed is still one.
		if norm == p || (len(p) >= 8 && strings.Contains(norm, p) && len(norm) < len(p)+16) {
			return errors.New("is a placeholder from an example, known to everyone")
		}
	}
	if bits := secretBits(secret); bits < MinSecretBits {
		return fmt.Errorf("is too predictable (about %d bits of randomness; at least %d needed)", bits, MinSecretBits)
	}
	return nil
}

// secretBits estimates the randomness in s: log2 of the alphabet its
// character classes suggest, per character, except that a character
// continuing a run (aaa, abc, 987) or repeating a pair seen before
// (qwertyqwerty) counts as one bit.
func secretBits(s string) int {
	var lower, upper, digit, other, hexOnly bool
	hexOnly = true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
		if !strings.ContainsRune("0123456789abcdef", r) && !strings.ContainsRune("0123456789ABCDEF", r) {
			hexOnly = false
		}
	}
	alphabet := 0
	for _, c := range []struct {
		on bool
		n  int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
		if c.on {
			alphabet += c.n
		}
	}
	if hexOnly && !(lower && upper) {
		alphabet = 16
	}
	if alphabet < 2 {
		return 0
	}
	per := math.Log2(float64(alphabet))
	bits := 0.0
	seen := map[[2]rune]bool{}
	prev := rune(-1)
	for _, r := range s {
		pair := [2]rune{prev, r}
		d := r - prev
		switch {
		case prev >= 0 && (d >= -1 && d <= 1 || seen[pair]):
			bits++
		default:
			bits += per
		}
		seen[pair] = true
		prev = r
	}
	return int(bits)
}
