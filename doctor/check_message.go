package doctor

import (
	"bufio"
	"bytes"
	"fmt"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// gmailClip is where Gmail cuts a message and hides the rest, the footer
// with the unsubscribe link included.
const gmailClip = 102 * 1024

// mustSign are the fields a DKIM signature has to cover: Gmail and Yahoo
// only honour one-click unsubscribe when the list headers are signed, and
// From and Subject are what a forger would change.
var mustSign = []string{"From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"}

// CheckMessage lints one rendered message as it would be sent: one From,
// a Message-ID under the sending domain, the size, the list headers and,
// when Dispatch signs, a DKIM signature that verifies against the
// configured key and covers the fields that matter.
func CheckMessage(c *Config, msg []byte) Report {
	var r Report
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(msg)))
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		r.add(GroupMessage, "headers", Fail, "the message headers do not parse: "+err.Error(), "")
		return r
	}
	froms := h.Values("From")
	switch list, err := mail.ParseAddressList(strings.Join(froms, ",")); {
	case len(froms) != 1 || err != nil || len(list) != 1:
		r.add(GroupMessage, "from", Fail, fmt.Sprintf("%d From fields: receivers refuse a message without exactly one From address (RFC 5322)", len(froms)),
			"set sender.from (or from: in the issue) to one address")
	default:
		r.ok(GroupMessage, "from", list[0].Address)
	}
	checkMessageID(&r, c, h.Get("Message-Id"))
	switch n := len(msg); {
	case n > gmailClip:
		r.add(GroupMessage, "size", Warn, fmt.Sprintf("%d KB: Gmail clips messages over 102 KB and hides the footer", n/1024),
			"shorten the issue or its layout")
	default:
		r.ok(GroupMessage, "size", fmt.Sprintf("%d KB", (n+1023)/1024))
	}
	if h.Get("List-Unsubscribe") == "" || !strings.EqualFold(h.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click") {
		r.add(GroupMessage, "list-unsubscribe", Fail, "List-Unsubscribe or List-Unsubscribe-Post is missing (RFC 8058)", "")
	} else {
		r.ok(GroupMessage, "list-unsubscribe", "one-click headers present")
	}
	if c.DKIM != nil {
		checkSignature(&r, c, msg)
	}
	return r
}

func checkMessageID(r *Report, c *Config, id string) {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	at := strings.LastIndexByte(id, '@')
	if at < 0 {
		r.add(GroupMessage, "message-id", Fail, fmt.Sprintf("Message-ID %q has no domain", id), "")
		return
	}
	dom := strings.ToLower(id[at+1:])
	from := domainOf(c.From)
	if !aligned(dom, from) && (c.DKIM == nil || !aligned(dom, c.DKIM.Domain)) {
		r.add(GroupMessage, "message-id", Warn, fmt.Sprintf("Message-ID domain %s is not the sending domain %s", dom, from),
			"spam filters score a Message-ID under a foreign or local host name")
		return
	}
	r.ok(GroupMessage, "message-id", "@"+dom)
}

func checkSignature(r *Report, c *Config, msg []byte) {
	record, err := DKIMRecord(c.DKIM)
	if err != nil {
		r.add(GroupMessage, "dkim signature", Fail, err.Error(), "")
		return
	}
	where := c.DKIM.Selector + "._domainkey." + c.DKIM.Domain
	// Verify against the configured key, so the lint says whether the
	// signing is right; whether DNS publishes that key is a DNS check.
	lookup := func(domain string) ([]string, error) {
		if strings.EqualFold(strings.TrimSuffix(domain, "."), where) {
			return []string{record}, nil
		}
		return nil, fmt.Errorf("no key for %s", domain)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		r.add(GroupMessage, "dkim signature", Fail, "cannot verify: "+err.Error(), "")
		return
	}
	var v *dkim.Verification
	for _, x := range vs {
		if strings.EqualFold(x.Domain, c.DKIM.Domain) {
			v = x
		}
	}
	switch {
	case v == nil:
		r.add(GroupMessage, "dkim signature", Fail, "the message carries no DKIM signature for "+c.DKIM.Domain, "")
		return
	case v.Err != nil:
		r.add(GroupMessage, "dkim signature", Fail, "the signature does not verify: "+v.Err.Error(), "")
		return
	}
	want := mustSign
	if c.CFBLAddress != "" {
		want = append(want[:len(want):len(want)], "CFBL-Address", "CFBL-Feedback-ID")
	}
	var missing []string
	for _, k := range want {
		if !slices.ContainsFunc(v.HeaderKeys, func(s string) bool { return strings.EqualFold(s, k) }) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		r.add(GroupMessage, "dkim signature", Fail, "the signature does not cover "+strings.Join(missing, ", "), "")
		return
	}
	r.ok(GroupMessage, "dkim signature", fmt.Sprintf("d=%s verifies and covers %s", v.Domain, strings.Join(want, ", ")))
}
