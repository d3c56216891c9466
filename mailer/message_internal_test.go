package mailer

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// buildOne builds a message the way a worker does and parses it back as a
// receiving mail client would.
func buildOne(t *testing.T, name, subject, text, html string) ([]byte, *mail.Reader) {
	t.Helper()
	tokens, err := subscribers.NewTokens("test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Relays: []Relay{{Host: "127.0.0.1", Port: 25}}, From: "Zoë's Briefing <briefing@example.com>",
		ReplyTo: "desk@example.com", BaseURL: "https://news.example.com", Tokens: tokens}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHeaderSet(s.cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	h.list = h.listID("Clients ünd friends", "", 2)
	m := &message{}
	r := &templates.Rendered{Subject: subject, Text: []byte(text), HTML: []byte(html)}
	if err := s.build(m, h, envelope{deliveryID: 7, campaignID: 3, listID: 2,
		subscriberID: 5, email: "reader@example.net", name: name}, r, "tok", "https://news.example.com/u/tok"); err != nil {
		t.Fatal(err)
	}
	if m.to != "<reader@example.net>" || !strings.HasPrefix(m.from, "<briefing+") {
		t.Errorf("envelope %s → %s; want the VERP sender and the bare recipient", m.from, m.to)
	}
	mr, err := mail.CreateReader(bytes.NewReader(m.data))
	if err != nil {
		t.Fatalf("parse %q: %v", m.data, err)
	}
	return m.data, mr
}

// checkHeaderLines: ASCII only, no line over 998 characters, and none
// over 78 unless it holds a single word that cannot be folded.
func checkHeaderLines(t *testing.T, data []byte) {
	t.Helper()
	head, _, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no end of header")
	}
	for line := range strings.SplitSeq(string(head), "\r\n") {
		for _, c := range []byte(line) {
			if c < ' ' && c != '\t' || c > '~' {
				t.Errorf("header line has byte %#x: %q", c, line)
				break
			}
		}
		if len(line) > 998 {
			t.Errorf("header line of %d characters", len(line))
		}
		if len(line) > 78 && strings.Count(strings.TrimSpace(line), " ") > 1 {
			t.Errorf("header line of %d characters left unfolded: %q", len(line), line)
		}
	}
}

func TestBuildHeadersSurviveHostileText(t *testing.T) {
	longWords := strings.Repeat("newsletter words ", 30)
	tests := []struct {
		name, subject         string
		wantName, wantSubject string
	}{
		{"User 0", "Weekly briefing", "User 0", "Weekly briefing"},
		{"Evil\r\nBcc: victim@example.net", "Hi\r\nBcc: victim2@example.net\nX-Injected: 1",
			"Evil  Bcc: victim@example.net", "Hi  Bcc: victim2@example.net X-Injected: 1"},
		{`Plain "Quoted" \ name, Jr.`, "Tabs\tand\x00nulls", `Plain "Quoted" \ name, Jr.`, "Tabs and nulls"},
		{`Zoë "Quotes" \ Ünal`, "Grüße, 日本語 🎉 — €5", `Zoë "Quotes" \ Ünal`, "Grüße, 日本語 🎉 — €5"},
		{"Ascii =?utf-8?q?not_a_word?=", "looks =?utf-8?q?encoded?= but is not",
			"Ascii =?utf-8?q?not_a_word?=", "looks =?utf-8?q?encoded?= but is not"},
		{strings.Repeat("Ö", 300), strings.TrimSpace(longWords), strings.Repeat("Ö", 300), strings.TrimSpace(longWords)},
		{"", strings.Repeat("x", 2000), "", strings.Repeat("x", 2000)},
	}
	for _, tc := range tests {
		data, mr := buildOne(t, tc.name, tc.subject, "text\n", "<p>html</p>\n")
		checkHeaderLines(t, data)
		h := mr.Header
		for _, k := range []string{"Bcc", "X-Injected"} {
			if h.Has(k) {
				t.Errorf("name %q / subject %q created a %s field", tc.name, tc.subject, k)
			}
		}
		to, err := h.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != "reader@example.net" || to[0].Name != tc.wantName {
			t.Errorf("To for name %q = %v, %v; want %q <reader@example.net>", tc.name, to, err, tc.wantName)
		}
		if got, err := h.Subject(); err != nil || got != tc.wantSubject {
			t.Errorf("Subject %q came back as %q, %v; want %q", tc.subject, got, err, tc.wantSubject)
		}
		from, err := h.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "Zoë's Briefing" {
			t.Errorf("From = %v, %v; want Zoë's Briefing", from, err)
		}
		if got := h.Get("List-Id"); !strings.HasSuffix(got, "<clients--nd-friends.2.example.com>") {
			t.Errorf("List-Id = %q", got)
		}
	}
}

// TestBuildBodyNeedsNoDotStuffing: the parts decode to what was rendered,
// and no line of the message starts with ".", so DATA can take it as is.
func TestBuildBodyNeedsNoDotStuffing(t *testing.T) {
	text := ".leading dot\n..two dots\n.\nend with spaces   \nGrüße = café\n" + strings.Repeat("long line ", 20) + "\n"
	html := "<p>one</p>\r\n.<p>dot</p>\r\n<a href=\"https://example.com/?a=1&b=2\">" + strings.Repeat("x", 100) + "</a>"
	data, mr := buildOne(t, "Reader", "Subject", text, html)
	if bytes.HasPrefix(data, []byte(".")) || bytes.Contains(data, []byte("\n.")) {
		t.Error("a line of the message starts with a dot")
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the message has a bare LF or does not end in CRLF")
	}
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	crlf := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n") }
	if len(parts) != 2 || parts[0] != crlf(text) || parts[1] != crlf(html) {
		t.Errorf("parts = %q\nwant %q", parts, []string{crlf(text), crlf(html)})
	}
}

func TestBuildRefusesABadAddress(t *testing.T) {
	tokens, err := subscribers.NewTokens("test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Relays: []Relay{{Host: "127.0.0.1"}}, From: "news@example.com", BaseURL: "https://x.example",
		Tokens: tokens, Now: func() time.Time { return time.Unix(0, 0) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHeaderSet(s.cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"not an address", "a@b.example\r\nRCPT TO:<c@d.example>", "Name <x@y.example>"} {
		err := s.build(&message{}, h, envelope{email: email}, &templates.Rendered{}, "t", "u")
		if err == nil {
			t.Errorf("build to %q succeeded; want an error", email)
		}
	}
}

func TestNewHeaderSetChecksAddresses(t *testing.T) {
	for _, cfg := range []Config{{From: "news@example.com", ReplyTo: "not an address"},
		{From: "news@example.com", BounceAddress: "bounces at example.com"}, {From: "nobody"}} {
		if _, err := newHeaderSet(cfg, ""); err == nil {
			t.Errorf("newHeaderSet(%+v) succeeded; want an error", cfg)
		}
	}
}

// BenchmarkBuild builds one 10 KB newsletter message, without DKIM and
// signed with Ed25519.
func BenchmarkBuild(b *testing.B) {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	tokens, err := subscribers.NewTokens("test-secret-0123456789abcdef")
	if err != nil {
		b.Fatal(err)
	}
	r := &templates.Rendered{Subject: "Ada, this week at Company 0",
		Text: []byte(strings.Repeat("Deliverability depends on many small things done right: authenticated\ndomains. ", 20)),
		HTML: []byte(strings.Repeat(`<p style="margin: 0 0 16px; font-family: Georgia, serif;">Deliverability depends on many small things done right.</p>`+"\n", 60))}
	for _, signed := range []bool{false, true} {
		name := "plain"
		cfg := Config{Relays: []Relay{{Host: "127.0.0.1"}}, From: "News <news@example.com>", BaseURL: "https://x.example", Tokens: tokens}
		if signed {
			name = "ed25519"
			cfg.DKIM = &DKIM{Domain: "example.com", Selector: "s1", Key: key}
		}
		b.Run(name, func(b *testing.B) {
			s, err := New(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			h, err := newHeaderSet(s.cfg, "")
			if err != nil {
				b.Fatal(err)
			}
			h.list = h.listID("bench", "", 1)
			m := &message{}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.build(m, h, envelope{deliveryID: 42, campaignID: 1, listID: 1, subscriberID: 9,
					email: "reader@example.net", name: "Ada Lovelace"}, r, "tok", "https://x.example/u/tok"); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(m.data)))
		})
	}
}

func TestListIDShowsTitleAndKeepsNameAsIdentifier(t *testing.T) {
	h := headerSet{domain: "example.com"}
	tests := []struct {
		name, title string
		id          int64
		want        string
	}{
		{name: "clients", title: "", id: 3, want: `"clients" <clients.3.example.com>`},
		{name: "clients", title: "Northwind Security Briefing", id: 3, want: `"Northwind Security Briefing" <clients.3.example.com>`},
		{name: "Ärzte", title: "Ärzte-Rundbrief", id: 4, want: `=?UTF-8?q?=C3=84rzte-Rundbrief?= <rzte.4.example.com>`},
	}
	for _, tc := range tests {
		if got := h.listID(tc.name, tc.title, tc.id); got != tc.want {
			t.Errorf("listID(%q, %q, %d) = %q; want %q", tc.name, tc.title, tc.id, got, tc.want)
		}
	}
}
