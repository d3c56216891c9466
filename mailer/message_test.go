package mailer_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// received is one message as a mail client would see it.
type received struct {
	raw    smtptest.Message
	header mail.Header
	parts  []part
}

type part struct {
	contentType string
	params      map[string]string
	body        string // transfer-decoded
}

func parseReceived(t *testing.T, m smtptest.Message) received {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse message to %v: %v", m.To, err)
	}
	r := received{raw: m, header: mr.Header}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part of message to %v: %v", m.To, err)
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("message to %v has an attachment", m.To)
		}
		ct, params, err := h.ContentType()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		r.parts = append(r.parts, part{contentType: ct, params: params, body: string(body)})
	}
	return r
}

// messageTo returns the one message the server received for email.
func messageTo(t *testing.T, msgs []smtptest.Message, email string) smtptest.Message {
	t.Helper()
	var found []smtptest.Message
	for _, m := range msgs {
		if len(m.To) == 1 && m.To[0] == email {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d messages to %s; want 1", len(found), email)
	}
	return found[0]
}

// TestMessageHeaders checks every header the issue asks for, as a receiving
// mail system parses them, and that each token in them leads back to the
// right delivery, subscriber, list and campaign.
func TestMessageHeaders(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	start := time.Now()
	if _, err := e.run(t, ctx, e.config()); err != nil {
		t.Fatal(err)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages; want 3", len(msgs))
	}
	seenIDs := map[string]string{}
	for i := range 3 {
		email := fmt.Sprintf("user%d@example.com", i)
		name := fmt.Sprintf("User %d", i)
		m := parseReceived(t, messageTo(t, msgs, email))
		h := m.header
		d := e.delivery(t, email)
		sub := mustSub(t, e, email)

		t.Run(email, func(t *testing.T) {
			from, err := h.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Address != "briefing@example.com" || from[0].Name != "Briefing" {
				t.Errorf("From = %v, %v; want Briefing <briefing@example.com>", from, err)
			}
			replyTo, err := h.AddressList("Reply-To")
			if err != nil || len(replyTo) != 1 || replyTo[0].Address != "desk@example.com" {
				t.Errorf("Reply-To = %v, %v; want desk@example.com", replyTo, err)
			}
			to, err := h.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != email || to[0].Name != name {
				t.Errorf("To = %v, %v; want %q <%s>", to, err, name, email)
			}
			if subj, err := h.Subject(); err != nil || subj != "Weekly briefing for User" {
				t.Errorf("Subject = %q, %v; want the rendered subject", subj, err)
			}
			if date, err := h.Date(); err != nil || date.Before(start.Add(-time.Second)) || date.After(time.Now().Add(time.Second)) {
				t.Errorf("Date = %v, %v; want the time of sending", date, err)
			}

			// Message-ID: <token@domain>, the token naming this delivery.
			msgID, err := h.MessageID()
			if err != nil {
				t.Fatalf("Message-ID %q: %v", h.Get("Message-Id"), err)
			}
			local, domain, ok := strings.Cut(msgID, "@")
			if !ok || domain != "example.com" {
				t.Errorf("Message-ID = %q; want token@example.com", msgID)
			}
			if id, err := e.tokens.ParseDelivery(local); err != nil || id != d.ID {
				t.Errorf("Message-ID token %q names delivery %d (%v); want %d", local, id, err, d.ID)
			}
			if other, dup := seenIDs[msgID]; dup {
				t.Errorf("Message-ID %q also used for %s", msgID, other)
			}
			seenIDs[msgID] = email
			if got := h.Get(mailer.DeliveryHeader); got != local {
				t.Errorf("%s = %q; want the Message-ID token %q", mailer.DeliveryHeader, got, local)
			}

			// VERP: the envelope sender carries the same token.
			tag, ok := subscribers.VERPTag(m.raw.From, "bounces@example.com")
			if !ok || tag != local {
				t.Errorf("MAIL FROM = %q; want bounces+%s@example.com", m.raw.From, local)
			}

			// List-Unsubscribe: <https://…/u/TOKEN>, <mailto:bounces+unsub-TOKEN@…>.
			checkListUnsubscribe(t, e, h.Get("List-Unsubscribe"), subscribers.UnsubscribeRef{
				SubscriberID: sub.ID, ListID: e.list.ID, CampaignID: e.campaign.ID})
			if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post = %q; want List-Unsubscribe=One-Click (RFC 8058)", got)
			}
			wantListID := fmt.Sprintf(`"clients" <clients.%d.example.com>`, e.list.ID)
			if got := h.Get("List-Id"); got != wantListID {
				t.Errorf("List-Id = %q; want %q", got, wantListID)
			}
			wantFeedback := fmt.Sprintf("c%d:l%d:newsletter:dispatch", e.campaign.ID, e.list.ID)
			if got := h.Get("Feedback-ID"); got != wantFeedback {
				t.Errorf("Feedback-ID = %q; want %q", got, wantFeedback)
			}
			if got := h.Get("Precedence"); got != "bulk" {
				t.Errorf("Precedence = %q; want bulk", got)
			}
			for _, k := range []string{"X-Mailer", "User-Agent"} {
				if v := h.Get(k); strings.Contains(strings.ToLower(v), "go-mail") {
					t.Errorf("%s = %q leaks the library", k, v)
				}
			}
			if bytes.Contains(bytes.ToLower(m.raw.Data), []byte("go-mail")) {
				t.Error("the message mentions go-mail")
			}

			checkAlternative(t, m, name, email)
		})
	}
}

func checkListUnsubscribe(t *testing.T, e *env, value string, want subscribers.UnsubscribeRef) {
	t.Helper()
	re := regexp.MustCompile(`^<(https://[^>]+)>, <mailto:([^>?]+)\?subject=unsubscribe>$`)
	sm := re.FindStringSubmatch(value)
	if sm == nil {
		t.Fatalf("List-Unsubscribe = %q; want <https URL>, <mailto:…>", value)
	}
	u, err := url.Parse(sm[1])
	if err != nil || u.Host != "news.example.com" || !strings.HasPrefix(u.Path, "/u/") {
		t.Fatalf("List-Unsubscribe URL = %q; want https://news.example.com/u/<token>", sm[1])
	}
	token := strings.TrimPrefix(u.Path, "/u/")
	if ref, err := e.tokens.ParseUnsubscribe(token); err != nil || ref != want {
		t.Errorf("unsubscribe token names %+v (%v); want %+v", ref, err, want)
	}
	tag, ok := subscribers.VERPTag(sm[2], "bounces@example.com")
	if !ok || tag != "unsub-"+token {
		t.Errorf("List-Unsubscribe mailto = %q; want bounces+unsub-%s@example.com", sm[2], token)
	}
}

// checkAlternative: multipart/alternative with text/plain first and
// text/html last (RFC 2046: the preferred part last), both personalised.
func checkAlternative(t *testing.T, m received, name, email string) {
	t.Helper()
	ct, params, err := m.header.ContentType()
	if err != nil || ct != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q %v, %v; want multipart/alternative with a boundary", ct, params, err)
	}
	if v := m.header.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q; want 1.0", v)
	}
	if len(m.parts) != 2 {
		t.Fatalf("%d parts; want 2", len(m.parts))
	}
	text, html := m.parts[0], m.parts[1]
	if text.contentType != "text/plain" || html.contentType != "text/html" {
		t.Fatalf("parts are %s, %s; want text/plain, text/html", text.contentType, html.contentType)
	}
	for _, p := range m.parts {
		if !strings.EqualFold(p.params["charset"], "utf-8") {
			t.Errorf("%s charset = %q; want UTF-8", p.contentType, p.params["charset"])
		}
	}
	greeting := fmt.Sprintf("Hello %s from Acme.", name)
	if !strings.Contains(text.body, greeting) {
		t.Errorf("text part lacks %q:\n%s", greeting, text.body)
	}
	if !strings.Contains(html.body, name) || !strings.Contains(html.body, "Acme") {
		t.Errorf("html part is not personalised with %q and the company attribute", name)
	}
	if !strings.Contains(text.body, email) {
		t.Errorf("text part footer does not name %s", email)
	}
	if !strings.Contains(text.body, "https://news.example.com/u/") || !strings.Contains(html.body, "https://news.example.com/u/") {
		t.Error("a part lacks the unsubscribe link")
	}
}

// TestDKIMSignatureVerifies signs with RSA-2048 and Ed25519 keys and checks
// the received bytes with an independent verifier, which must find the
// List-Unsubscribe headers signed: Gmail and Yahoo ignore one-click
// unsubscribe that the signature does not cover.
func TestDKIMSignatureVerifies(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		key    crypto.Signer
		record string
	}{
		{"rsa-2048", rsaKey, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)},
		{"ed25519", edKey, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Several workers sign at once: run with -race.
			e := newEnv(t, 8)
			cfg := e.config()
			cfg.DKIM = &mailer.DKIM{Domain: "example.com", Selector: "s1", Key: tc.key}
			cfg.CFBLAddress = "fbl@example.com"
			if _, err := e.run(t, context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			lookup := func(domain string) ([]string, error) {
				if domain != "s1._domainkey.example.com" {
					return nil, fmt.Errorf("no TXT record for %s", domain)
				}
				return []string{tc.record}, nil
			}
			msgs := e.srv.Messages()
			if len(msgs) != 8 {
				t.Fatalf("%d messages; want 8", len(msgs))
			}
			for _, m := range msgs {
				v := verifyOne(t, m.Data, lookup)
				if v.Err != nil {
					t.Fatalf("signature of the message to %v does not verify: %v\n%s", m.To, v.Err, dkimHeader(m.Data))
				}
				if v.Domain != "example.com" {
					t.Errorf("d= %q; want example.com", v.Domain)
				}
				signed := map[string]bool{}
				for _, k := range v.HeaderKeys {
					signed[strings.ToLower(k)] = true
				}
				for _, k := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post",
					"list-id", "feedback-id", "cfbl-address", "cfbl-feedback-id"} {
					if !signed[k] {
						t.Errorf("h= %v does not cover %s", v.HeaderKeys, k)
					}
				}
				// RFC 9477: the feedback id ties a complaint to its delivery.
				hdr := headerOf(t, m.Data)
				if got := hdr.Get("CFBL-Address"); got != "fbl@example.com; report=arf" {
					t.Errorf("CFBL-Address = %q", got)
				}
				if got, want := hdr.Get("CFBL-Feedback-ID"), hdr.Get(mailer.DeliveryHeader); got == "" || got != want {
					t.Errorf("CFBL-Feedback-ID = %q; want the delivery token %q", got, want)
				}

				// The signature must actually protect the unsubscribe link.
				tampered := bytes.Replace(m.Data, []byte("https://news.example.com/u/"), []byte("https://evil.example.net/u/"), 1)
				if bytes.Equal(tampered, m.Data) {
					t.Fatal("no unsubscribe URL to tamper with")
				}
				if v := verifyOne(t, tampered, lookup); v.Err == nil {
					t.Error("a changed List-Unsubscribe still verifies")
				}
			}
		})
	}
}

func verifyOne(t *testing.T, data []byte, lookup func(string) ([]string, error)) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(data), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d DKIM signatures; want 1", len(vs))
	}
	return vs[0]
}

// dkimHeader returns the DKIM-Signature field as sent, for failure messages.
func dkimHeader(data []byte) string {
	i := bytes.Index(data, []byte("DKIM-Signature:"))
	if i < 0 {
		return "(no DKIM-Signature header)"
	}
	rest := data[i:]
	end := regexp.MustCompile(`\r\n[^ \t]`).FindIndex(rest)
	if end == nil {
		return string(rest)
	}
	return string(rest[:end[0]])
}

func TestDKIMNeedsDomainSelectorAndAKeyThatCanSign(t *testing.T) {
	e := newEnv(t, 1)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*mailer.DKIM{{Selector: "s1", Key: key}, {Domain: "example.com", Key: key}, {Domain: "example.com", Selector: "s1"},
		{Domain: "example.com", Selector: "s1", Key: ecKey}} {
		cfg := e.config()
		cfg.DKIM = d
		if _, err := mailer.New(cfg, e.store); err == nil || !strings.Contains(err.Error(), "dkim") {
			t.Errorf("New with DKIM %+v = %v; want a dkim error", d, err)
		}
	}
}

func headerOf(t *testing.T, data []byte) textproto.MIMEHeader {
	t.Helper()
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(data))).ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCFBLNeedsDKIM: RFC 9477 receivers ignore CFBL fields that no DKIM
// signature covers, so the setting is refused without signing.
func TestCFBLNeedsDKIM(t *testing.T) {
	e := newEnv(t, 1)
	cfg := e.config(e.relay(1))
	cfg.CFBLAddress = "fbl@example.com"
	if _, err := mailer.New(cfg, e.store); err == nil || !strings.Contains(err.Error(), "DKIM") {
		t.Errorf("New with a cfbl address and no DKIM: %v; want an error about DKIM", err)
	}
}
