package smtpserve_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/dispatchhq/dispatch/internal/smtpserve"
)

func TestListenRefusesNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "192.0.2.1:25", "example.com:25"} {
		if _, _, err := smtpserve.Listen(addr); !errors.Is(err, smtpserve.ErrNotLoopback) {
			t.Errorf("Listen(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
	for _, addr := range []string{"", "127.0.0.1:0", "localhost:0"} {
		ln, tcp, err := smtpserve.Listen(addr)
		if err != nil {
			t.Errorf("Listen(%q): %v", addr, err)
			continue
		}
		if !tcp.IP.IsLoopback() || tcp.Port == 0 {
			t.Errorf("Listen(%q) listens on %v", addr, tcp)
		}
		ln.Close()
	}
}

type backend struct{}

func (backend) NewSession(*smtp.Conn) (smtp.Session, error) { return nil, errors.New("no sessions") }

// serve starts a server and returns it with a client connection that has
// read the greeting.
func serve(t *testing.T) (*smtpserve.Server, net.Conn, *bufio.Reader) {
	t.Helper()
	ln, addr, err := smtpserve.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	s := smtpserve.Serve(smtp.NewServer(backend{}), ln, smtpserve.Config{})
	t.Cleanup(func() { _ = s.Close(nil) })
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting = %q, %v", line, err)
	}
	return s, c, r
}

func TestCloseEndsOpenConnectionsAndCallsBefore(t *testing.T) {
	s, _, r := serve(t)
	called := false
	if err := s.Close(func() { called = true }); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !called {
		t.Error("Close did not call before")
	}
	if line, err := r.ReadString('\n'); err == nil {
		t.Errorf("connection still open after Close, read %q", line)
	}
	if err := s.Close(nil); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDownResetsConnectionsAndUpListensAgain(t *testing.T) {
	s, c, r := serve(t)
	addr := c.RemoteAddr().String()
	s.Down()
	if line, err := r.ReadString('\n'); err == nil {
		t.Errorf("connection still open after Down, read %q", line)
	}
	if c2, err := net.Dial("tcp", addr); err == nil {
		c2.Close()
		t.Fatal("Down server still accepts connections")
	}
	if err := s.Up(); err != nil {
		t.Fatalf("Up: %v", err)
	}
	c3, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial after Up: %v", err)
	}
	defer c3.Close()
	if line, err := bufio.NewReader(c3).ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Errorf("greeting after Up = %q, %v", line, err)
	}
}
