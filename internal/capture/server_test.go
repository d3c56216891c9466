package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/capture"
	mail "github.com/wneessen/go-mail"
)

const verp = "bounce+c42-s7=example.net@bounces.example.com"

func start(t *testing.T, cfg capture.Config) *capture.Server {
	t.Helper()
	s, err := capture.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func goMail(t *testing.T, s *capture.Server) *mail.Client {
	t.Helper()
	c, err := mail.NewClient(s.Host(), mail.WithPort(s.Port()), mail.WithTLSPolicy(mail.NoTLS), mail.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newMsg(t *testing.T, to, subject string) *mail.Msg {
	t.Helper()
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.EnvelopeFrom(verp); err != nil {
		t.Fatal(err)
	}
	if err := m.From("Weekly <news@example.com>"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(to); err != nil {
		t.Fatal(err)
	}
	m.Subject(subject)
	m.SetBodyString(mail.TypeTextPlain, "Hello "+to+"\n.a line starting with a dot\n")
	return m
}

// emlFiles lists the folder, failing on anything but .eml files, such as a
// leftover temporary file.
func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") {
			t.Errorf("unexpected file %q in the capture folder", e.Name())
			continue
		}
		names = append(names, e.Name())
	}
	return names
}

func readEML(t *testing.T, path string) *netmail.Message {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return m
}

func TestCaptureWritesEMLFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox") // created by Start
	var logs bytes.Buffer
	s := start(t, capture.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	m1, m2 := newMsg(t, "Alice@Example.net", "one"), newMsg(t, "bob@example.net", "two")
	if err := goMail(t, s).DialAndSend(m1, m2); err != nil {
		t.Fatalf("DialAndSend: %v", err)
	}
	if got := s.Count(); got != 2 {
		t.Errorf("Count() = %d; want 2", got)
	}
	names := emlFiles(t, dir)
	if want := []string{"0001-alice@example.net.eml", "0002-bob@example.net.eml"}; !slices.Equal(names, want) {
		t.Fatalf("files = %q; want %q", names, want)
	}

	raw, err := os.ReadFile(filepath.Join(dir, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("Received: from ")) {
		t.Errorf("file starts %q; want a Received trace header first", raw[:min(len(raw), 40)])
	}
	if !bytes.Contains(raw, []byte("\r\n.a line starting with a dot")) {
		t.Error("the dot-stuffed line was not restored")
	}

	msg := readEML(t, filepath.Join(dir, names[0]))
	for header, want := range map[string]string{
		"X-Dispatch-Envelope-From": "<" + verp + ">",
		"X-Envelope-To":            "<Alice@Example.net>",
		"Subject":                  "one",
		"From":                     `"Weekly" <news@example.com>`,
	} {
		if got := msg.Header.Get(header); got != want {
			t.Errorf("%s: %s = %q; want %q", names[0], header, got, want)
		}
	}
	if got := msg.Header.Get("Received"); !strings.Contains(got, "by "+s.Addr()+" (Dispatch capture) with ESMTP id 0001;") {
		t.Errorf("Received = %q; want it to name the server and id 0001", got)
	}
	if !strings.Contains(logs.String(), "captured message") || !strings.Contains(logs.String(), names[1]) {
		t.Errorf("log = %q; want a line per captured message naming the file", logs.String())
	}
}

func TestCaptureMultipleRecipientsAndEmptySender(t *testing.T) {
	dir := t.TempDir()
	s := start(t, capture.Config{Dir: dir})
	to := []string{"a@example.net", "b@example.net", "c@example.net"}
	body := "Subject: multi\r\n\r\nhi\r\n"
	if err := smtp.SendMail(s.Addr(), nil, "", to, []byte(body)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	names := emlFiles(t, dir)
	if want := []string{"0001-a@example.net-and-2-more.eml"}; !slices.Equal(names, want) {
		t.Fatalf("files = %q; want %q", names, want)
	}
	msg := readEML(t, filepath.Join(dir, names[0]))
	if got, want := msg.Header.Get("X-Envelope-To"), "<a@example.net>, <b@example.net>, <c@example.net>"; got != want {
		t.Errorf("X-Envelope-To = %q; want %q (unfolded)", got, want)
	}
	if got := msg.Header.Get("X-Dispatch-Envelope-From"); got != "<>" {
		t.Errorf("X-Dispatch-Envelope-From = %q; want <> for the null sender", got)
	}
	if b, _ := io.ReadAll(msg.Body); string(b) != "hi\r\n" {
		t.Errorf("body = %q; want the message body unchanged", b)
	}
}

func TestCaptureNumbersContinueAfterExistingFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"0007-old@example.net.eml", "0009-notes.txt", "readme.eml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := start(t, capture.Config{Dir: dir})
	if err := smtp.SendMail(s.Addr(), nil, "a@example.com", []string{"new@example.net"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "0008-new@example.net.eml")); err != nil {
		t.Errorf("want the new capture numbered 0008 after 0007: %v", err)
	}
}

func TestCaptureConcurrentSenders(t *testing.T) {
	dir := t.TempDir()
	s := start(t, capture.Config{Dir: dir})
	const senders, each = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Go(func() {
			var msgs []*mail.Msg
			for i := range each {
				msgs = append(msgs, newMsg(t, fmt.Sprintf("r%d-%d@example.net", g, i), "x"))
			}
			errs <- goMail(t, s).DialAndSend(msgs...)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("DialAndSend: %v", err)
		}
	}
	if got := s.Count(); got != senders*each {
		t.Errorf("Count() = %d; want %d", got, senders*each)
	}
	names := emlFiles(t, dir)
	if len(names) != senders*each {
		t.Fatalf("%d files; want %d", len(names), senders*each)
	}
	for i, name := range names { // ReadDir sorts by name
		if !strings.HasPrefix(name, fmt.Sprintf("%04d-", i+1)) {
			t.Errorf("file %d is %q; want numbers 0001..%04d without gaps", i, name, senders*each)
		}
		rcpt := strings.TrimSuffix(name[5:], ".eml")
		msg := readEML(t, filepath.Join(dir, name))
		if got := msg.Header.Get("X-Envelope-To"); got != "<"+rcpt+">" || msg.Header.Get("To") != "<"+rcpt+">" {
			t.Errorf("%s: X-Envelope-To %q, To %q; want both <%s>", name, got, msg.Header.Get("To"), rcpt)
		}
	}
}

func TestStartRefusesNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:2525", "example.com:25"} {
		_, err := capture.Start(capture.Config{Dir: t.TempDir(), Addr: addr})
		if !errors.Is(err, capture.ErrNotLoopback) {
			t.Errorf("Start(Addr %q) = %v; want ErrNotLoopback", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "127.0.0.2:0"} {
		s, err := capture.Start(capture.Config{Dir: t.TempDir(), Addr: addr})
		if err != nil {
			t.Errorf("Start(Addr %q) = %v; want it listening", addr, err)
			continue
		}
		if ip := net.ParseIP(s.Host()); ip == nil || !ip.IsLoopback() || s.Port() == 0 {
			t.Errorf("Start(Addr %q) listens on %s; want a loopback IP and a port", addr, s.Addr())
		}
		s.Close()
	}
	if _, err := capture.Start(capture.Config{}); err == nil {
		t.Error("Start without Dir succeeded")
	}
}

func TestCloseStopsServerAndDiscardsPartialMessage(t *testing.T) {
	dir := t.TempDir()
	s, err := capture.Start(capture.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.net"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("Subject: half\r\n\r\nthe first half")); err != nil {
		t.Fatal(err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	if err := w.Close(); err == nil {
		t.Error("finishing DATA after Close succeeded")
	}
	if names := emlFiles(t, dir); len(names) != 0 || s.Count() != 0 {
		t.Errorf("after a cut-off message: files %q, Count %d; want none", names, s.Count())
	}
	if conn, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		conn.Close()
		t.Errorf("dial %s after Close succeeded", s.Addr())
	}
}
