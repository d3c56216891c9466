package inbox

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// readHeader reads the notification's own header. Bounces are often
// malformed; the fields read before a bad line are kept.
func readHeader(raw []byte) textproto.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	return h
}

// messageKey is the idempotency key of one message: its Message-ID when it
// has one, else its bytes. Line endings and trailing blank lines are
// normalised first, because the same message read from an mbox (LF) and
// over IMAP (CRLF) must get the same key.
func messageKey(messageID string, raw []byte) string {
	if messageID != "" {
		sum := sha256.Sum256([]byte(messageID))
		return "mail:id:" + hex.EncodeToString(sum[:])
	}
	norm := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	norm = bytes.TrimRight(norm, "\n")
	sum := sha256.Sum256(norm)
	return "mail:raw:" + hex.EncodeToString(sum[:])
}

// msgIDs returns the ids in a Message-ID, In-Reply-To or References value,
// without angle brackets.
func msgIDs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	if len(out) == 0 {
		// Some generators leave the brackets off.
		if id := strings.TrimSpace(v); id != "" && !strings.ContainsAny(id, " \t") {
			out = append(out, id)
		}
	}
	return out
}

// firstMsgID returns the first id of a Message-ID value, or "".
func firstMsgID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// addresses returns the bare addresses of an address-list header value,
// tolerating values net/mail rejects (a bare VERP address with a '=' in the
// local part parses fine; unbalanced quotes and display-name junk do not).
func addresses(v string) []string {
	if list, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		f = strings.Trim(f, "<>\"'")
		if strings.Contains(f, "@") {
			out = append(out, f)
		}
	}
	return out
}
