package accounts

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPKey is a new TOTP secret with what the admin needs to enrol it.
type TOTPKey struct {
	Secret string // base32, also typed in by hand when a QR code cannot be scanned
	URL    string // otpauth:// URL
	QRPNG  []byte // the URL as a QR code
}

// NewTOTPKey makes a secret for account (RFC 6238: SHA-1, 6 digits, 30 s,
// which every authenticator app supports).
func NewTOTPKey(issuer, account string) (*TOTPKey, error) {
	return totpKey(totp.GenerateOpts{Issuer: issuer, AccountName: account})
}

// TOTPKeyFor is the key of an existing secret, to show its QR code again
// while it is being set up.
func TOTPKeyFor(issuer, account, secret string) (*TOTPKey, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("totp secret is not base32: %w", ErrInvalid)
	}
	return totpKey(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw})
}

func totpKey(opts totp.GenerateOpts) (*TOTPKey, error) {
	key, err := totp.Generate(opts)
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("draw totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode totp qr code: %w", err)
	}
	return &TOTPKey{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// CheckTOTP reports whether code is valid for secret at t, allowing one
// 30-second step of clock drift either way.
func CheckTOTP(secret, code string, t time.Time) bool {
	_, ok := MatchTOTP(secret, code, t)
	return ok
}

// MatchTOTP reports whether code is valid for secret at t, allowing one
// 30-second step of clock drift either way, and which time step it is
// the code of. RFC 6238 (section 5.2) forbids accepting a code twice: the
// caller keeps the last step accepted and takes only later ones.
func MatchTOTP(secret, code string, t time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	for _, d := range []time.Duration{-totpPeriod, 0, totpPeriod} {
		at := t.Add(d)
		ok, err := totp.ValidateCustom(code, secret, at, totp.ValidateOpts{
			Period: uint(totpPeriod / time.Second), Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && ok {
			return at.Unix() / int64(totpPeriod/time.Second), true
		}
	}
	return 0, false
}

const totpPeriod = 30 * time.Second

// TOTPCode returns the code for secret at t (tests and scripted setups).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCode(secret, t)
}

// RecoveryCodeCount is how many recovery codes a user gets.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns fresh one-time codes (xxxxx-xxxxx, 50 bits
// each) and the hashes the database keeps.
func NewRecoveryCodes() (codes, hashes []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range RecoveryCodeCount {
		b := make([]byte, 7)
		_, _ = rand.Read(b)
		s := strings.ToLower(enc.EncodeToString(b))[:10]
		code := s[:5] + "-" + s[5:]
		codes = append(codes, code)
		hashes = append(hashes, HashToken(code))
	}
	return codes, hashes
}

// NormalizeRecoveryCode makes a typed code comparable: case, spaces and a
// missing dash do not matter.
func NormalizeRecoveryCode(code string) string {
	s := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(s) != 10 {
		return s
	}
	return s[:5] + "-" + s[5:]
}
