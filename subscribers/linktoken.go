package subscribers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
)

const (
	purposeLink  byte = 'l'
	purposeOpen  byte = 'o'
	linkSigBytes      = 8 // 64 bits: a link is worth little, a short URL much
)

// LinkSig is the signature of link n of a campaign: a truncated HMAC of
// (campaign, n) with web.secret, so only links Dispatch registered
// redirect.
func (t *Tokens) LinkSig(campaignID int64, n int) string {
	return t.shortSig(purposeLink, campaignID, int64(n))
}

// VerifyLinkSig checks a LinkSig in constant time.
func (t *Tokens) VerifyLinkSig(campaignID int64, n int, sig string) bool {
	var buf [linkSigLen]byte
	return hmac.Equal([]byte(sig), t.appendShortSig(buf[:0], purposeLink, campaignID, int64(n)))
}

// OpenSig signs the open pixel of a campaign.
func (t *Tokens) OpenSig(campaignID int64) string {
	return t.shortSig(purposeOpen, campaignID)
}

// VerifyOpenSig checks an OpenSig in constant time.
func (t *Tokens) VerifyOpenSig(campaignID int64, sig string) bool {
	var buf [linkSigLen]byte
	return hmac.Equal([]byte(sig), t.appendShortSig(buf[:0], purposeOpen, campaignID))
}

func (t *Tokens) shortSig(purpose byte, ids ...int64) string {
	var buf [linkSigLen]byte
	return string(t.appendShortSig(buf[:0], purpose, ids...))
}

// linkSigLen is the length of a short signature in unpadded base32.
const linkSigLen = (linkSigBytes*8 + 4) / 5

// appendShortSig appends the base32 short signature of ids to dst; the
// verifiers use it to check a click without allocating.
func (t *Tokens) appendShortSig(dst []byte, purpose byte, ids ...int64) []byte {
	var buf [2 * binary.MaxVarintLen64]byte
	p := buf[:0]
	for _, id := range ids {
		p = binary.AppendUvarint(p, uint64(id))
	}
	var sum [sha256.Size]byte
	t.macTo(&sum, purpose, p)
	return b32.AppendEncode(dst, sum[:linkSigBytes])
}

// LinkURL is the tracked address of link n of a campaign:
// {baseURL}/l/{campaign}/{n}.{sig}. In individual mode the delivery token
// follows as one more path segment.
func (t *Tokens) LinkURL(baseURL string, campaignID int64, n int) string {
	return strings.TrimRight(baseURL, "/") + "/l/" + strconv.FormatInt(campaignID, 10) + "/" +
		strconv.Itoa(n) + "." + t.LinkSig(campaignID, n)
}

// OpenURL is the address of a campaign's open pixel:
// {baseURL}/o/{campaign}.{sig}.gif. It names no recipient.
func (t *Tokens) OpenURL(baseURL string, campaignID int64) string {
	return strings.TrimRight(baseURL, "/") + "/o/" + strconv.FormatInt(campaignID, 10) + "." + t.OpenSig(campaignID) + ".gif"
}
