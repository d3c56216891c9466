package subscribers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash"
	"net/url"
	"strings"
	"sync"
)

// ErrInvalidToken is returned for a token that is malformed, forged or
// signed with another key. It never says which.
var ErrInvalidToken = errors.New("invalid or expired link")

// Tokens signs the identifiers Dispatch puts in links and addresses. The
// same secret (web.secret) serves both kinds; a purpose byte keeps one kind
// from being accepted as the other.
//
// Tokens use lower-case base32 so they survive mail systems that fold the
// case of local parts, and carry ids only, never an address.
type Tokens struct {
	secret []byte
	// macers holds keyed HMACs for reuse: keying one costs two SHA-256
	// blocks and four allocations, and a tracked-link redirect checks a
	// signature on every click.
	macers sync.Pool // of *macer
}

// macer is a keyed HMAC with a buffer of its own: what is handed to a
// hash.Hash escapes, so a buffer on the stack would cost an allocation.
type macer struct {
	h   hash.Hash
	buf [1 + 2*binary.MaxVarintLen64 + sha256.Size]byte
}

// NewTokens returns a signer for secret, which must be at least
// MinSecretLen characters long.
func NewTokens(secret string) (*Tokens, error) {
	if secretTooShort(secret) {
		return nil, ErrShortSecret
	}
	return &Tokens{secret: []byte(secret)}, nil
}

const (
	purposeUnsubscribe byte = 'u'
	purposeDelivery    byte = 'd'
	purposeArchive     byte = 'a'
	purposeManage      byte = 'm'
	macSize                 = 10 // 80 bits: forging one takes 2^80 tries
)

var b32 = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

func (t *Tokens) sign(purpose byte, ids ...int64) string {
	buf := make([]byte, 0, 1+len(ids)*binary.MaxVarintLen64+macSize)
	for _, id := range ids {
		buf = binary.AppendUvarint(buf, uint64(id))
	}
	mac := t.mac(purpose, buf)
	return b32.EncodeToString(append(buf, mac...))
}

func (t *Tokens) mac(purpose byte, payload []byte) []byte {
	var sum [sha256.Size]byte
	t.macTo(&sum, purpose, payload)
	return append([]byte(nil), sum[:macSize]...)
}

// macTo writes the HMAC of purpose and payload into sum, allocating
// nothing once the pool is warm.
func (t *Tokens) macTo(sum *[sha256.Size]byte, purpose byte, payload []byte) {
	m, _ := t.macers.Get().(*macer)
	if m == nil {
		m = &macer{h: hmac.New(sha256.New, t.secret)}
	} else {
		m.h.Reset()
	}
	b := append(m.buf[:0], purpose)
	if len(payload) < len(m.buf) {
		m.h.Write(append(b, payload...))
	} else {
		m.h.Write(b)
		m.h.Write(payload)
	}
	copy(sum[:], m.h.Sum(m.buf[:0]))
	t.macers.Put(m)
}

func (t *Tokens) verify(purpose byte, tok string, n int) ([]int64, error) {
	// Case is folded for ASCII only: Unicode folding would turn look-alikes
	// such as U+212A KELVIN SIGN into "k" and accept a token that was
	// never issued.
	tok, ok := lowerASCII(strings.Trim(tok, " \t\r\n"))
	if !ok {
		return nil, ErrInvalidToken
	}
	raw, err := b32.DecodeString(tok)
	// Only the canonical encoding is accepted: base32 decoders ignore
	// trailing bits, which would make several spellings of one token valid.
	if err != nil || len(raw) <= macSize || len(raw) > 64 || b32.EncodeToString(raw) != tok {
		return nil, ErrInvalidToken
	}
	payload, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, t.mac(purpose, payload)) {
		return nil, ErrInvalidToken
	}
	ids := make([]int64, 0, n)
	for len(payload) > 0 {
		v, k := binary.Uvarint(payload)
		if k <= 0 {
			return nil, ErrInvalidToken
		}
		ids = append(ids, int64(v))
		payload = payload[k:]
	}
	if len(ids) != n {
		return nil, ErrInvalidToken
	}
	return ids, nil
}

// UnsubscribeRef is what an unsubscribe token names.
type UnsubscribeRef struct {
	SubscriberID int64
	ListID       int64
	CampaignID   int64 // 0 when the link was not sent by a campaign
}

// Unsubscribe returns the token for a per-recipient unsubscribe link.
func (t *Tokens) Unsubscribe(r UnsubscribeRef) string {
	return t.sign(purposeUnsubscribe, r.SubscriberID, r.ListID, r.CampaignID)
}

// ParseUnsubscribe verifies a token in constant time and returns what it
// names, or ErrInvalidToken.
func (t *Tokens) ParseUnsubscribe(tok string) (UnsubscribeRef, error) {
	ids, err := t.verify(purposeUnsubscribe, tok, 3)
	if err != nil {
		return UnsubscribeRef{}, err
	}
	return UnsubscribeRef{SubscriberID: ids[0], ListID: ids[1], CampaignID: ids[2]}, nil
}

// Delivery returns the short token that identifies one delivery in a VERP
// envelope sender, so a bounce is attributed without parsing its body.
func (t *Tokens) Delivery(deliveryID int64) string {
	return t.sign(purposeDelivery, deliveryID)
}

// ParseDelivery verifies a delivery token.
func (t *Tokens) ParseDelivery(tok string) (int64, error) {
	ids, err := t.verify(purposeDelivery, tok, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// UnsubscribeURL is the per-recipient unsubscribe link served by
// `dispatch serve`: baseURL (trailing slash trimmed) + "/u/" + token.
func UnsubscribeURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + url.PathEscape(token)
}

// VERPAddress adds +tag to the local part of addr:
// bounces@example.com → bounces+tag@example.com.
func VERPAddress(addr, tag string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	return addr[:at] + "+" + tag + addr[at:]
}

// VERPTag extracts the tag from an address built by VERPAddress for base,
// comparing the base case-insensitively (ASCII letters only). ok is false if addr is not one.
func VERPTag(addr, base string) (string, bool) {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at, bat := strings.LastIndexByte(addr, '@'), strings.LastIndexByte(base, '@')
	if at < 0 || bat < 0 || !EqualFoldASCII(addr[at:], base[bat:]) {
		return "", false
	}
	local, blocal := addr[:at], base[:bat]
	if len(local) <= len(blocal)+1 || !EqualFoldASCII(local[:len(blocal)], blocal) || local[len(blocal)] != '+' {
		return "", false
	}
	return local[len(blocal)+1:], true
}

// FoldToken is the form in which two spellings of one token compare
// equal: mail systems may change the case of an address or a Message-ID,
// so ASCII letters are lower-cased; every other character is left alone,
// so that a look-alike such as U+212A KELVIN SIGN stays what it is and
// fails verification.
func FoldToken(tok string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, tok)
}

// lowerASCII lower-cases s, which must be ASCII: ok is false if it is not.
func lowerASCII(s string) (string, bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return "", false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return s, true
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b), true
}

// EqualFoldASCII reports whether a and b are equal ignoring the case of
// ASCII letters only. Unlike strings.EqualFold it never matches a
// non-ASCII look-alike (U+212A KELVIN SIGN for "k", U+017F LONG S for
// "s") to a letter of a token, an address or a keyword.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
