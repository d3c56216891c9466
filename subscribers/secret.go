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
// 100 bits admits every random 128-bit key (`openssl rand -hex 16` was
// never estimated under 104 in 50,000 draws), refuses 96-bit ones, and
// refuses what people make up.
const MinSecretBits = 100

// MinSecretLen is the shortest signing secret NewTokens and CheckSecret
// accept: the one length rule.
const MinSecretLen = 16

// ErrShortSecret is returned by NewTokens for a secret shorter than
// MinSecretLen.
var ErrShortSecret = fmt.Errorf("subscribers: signing secret shorter than %d characters", MinSecretLen)

func secretTooShort(secret string) bool { return len(secret) < MinSecretLen }

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
	if secretTooShort(secret) {
		return fmt.Errorf("is shorter than %d characters", MinSecretLen)
	}
	if bits := secretBits(secret); bits < MinSecretBits {
		return fmt.Errorf("is too predictable (about %d bits of randomness; at least %d needed)", bits, MinSecretBits)
	}
	return nil
}

// secretBits estimates the randomness in s: log2 of the alphabet its
// character classes suggest, per character, except that a character
// continuing a run of three (aaa, abc, 987) or a three-character sequence
// seen before (qwertyqwerty) adds nothing. Random strings rarely do either,
// so their estimate stays close to their real entropy.
func secretBits(s string) int {
	var lower, upper, digit, other bool
	hexOnly := true
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
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
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
	rs := []rune(s)
	bits := 0.0
	seen := map[[3]rune]bool{}
	for i, r := range rs {
		if i >= 2 {
			d1, d2 := rs[i-1]-rs[i-2], r-rs[i-1]
			tri := [3]rune{rs[i-2], rs[i-1], r}
			run := d1 == d2 && d2 >= -1 && d2 <= 1
			if run || seen[tri] {
				seen[tri] = true
				continue
			}
			seen[tri] = true
		}
		bits += per
	}
	return int(bits)
}
