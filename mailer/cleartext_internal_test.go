package mailer

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

func TestCleartextAuth(t *testing.T) {
	tests := []struct {
		host string
		tls  tlsmode.Mode
		auth bool
		want bool // refused without smtp.allow_insecure_auth
	}{
		{host: "smtp.example.com", tls: tlsmode.None, auth: true, want: true},
		{host: "10.0.0.5", tls: tlsmode.None, auth: true, want: true},
		{host: "0.0.0.0", tls: tlsmode.None, auth: true, want: true},
		{host: "[2001:db8::1]", tls: tlsmode.None, auth: true, want: true},
		{host: "localhost.example.com", tls: tlsmode.None, auth: true, want: true},
		{host: "smtp.example.com", tls: tlsmode.StartTLS, auth: true, want: false},
		{host: "smtp.example.com", tls: tlsmode.Implicit, auth: true, want: false},
		{host: "smtp.example.com", tls: tlsmode.None, auth: false, want: false},
		{host: "localhost", tls: tlsmode.None, auth: true, want: false},
		{host: "LOCALHOST.", tls: tlsmode.None, auth: true, want: false},
		{host: "mail.localhost", tls: tlsmode.None, auth: true, want: false},
		{host: "127.0.0.1", tls: tlsmode.None, auth: true, want: false},
		{host: "127.9.9.9", tls: tlsmode.None, auth: true, want: false},
		{host: "::1", tls: tlsmode.None, auth: true, want: false},
		{host: "[::1]", tls: tlsmode.None, auth: true, want: false},
		{host: "unix:///var/run/smtp.sock", tls: tlsmode.None, auth: true, want: false},
	}
	for _, tc := range tests {
		if got := cleartextAuth(tc.host, tc.tls, tc.auth); got != tc.want {
			t.Errorf("cleartextAuth(%q, %q, %v) = %v; want %v", tc.host, tc.tls, tc.auth, got, tc.want)
		}
	}
}

func TestCleartextAuthErrorNamesTheHost(t *testing.T) {
	r := Relay{Host: "smtp.example.com", Port: 25, TLS: tlsmode.None, Username: "u"}
	err := checkCleartextAuth(r)
	if !errors.Is(err, ErrCleartextAuth) || !strings.Contains(err.Error(), "smtp.example.com") {
		t.Fatalf("checkCleartextAuth = %v; want ErrCleartextAuth naming the host", err)
	}
	r.AllowInsecureAuth = true
	if err := checkCleartextAuth(r); err != nil {
		t.Errorf("with AllowInsecureAuth: %v; want nil", err)
	}
}
