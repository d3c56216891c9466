package mailer

import (
	"strings"
	"testing"
)

func TestCleartextAuth(t *testing.T) {
	tests := []struct {
		host string
		tls  string
		auth bool
		want bool // refused without smtp.allow_insecure_auth
	}{
		{host: "smtp.example.com", tls: "none", auth: true, want: true},
		{host: "10.0.0.5", tls: "none", auth: true, want: true},
		{host: "0.0.0.0", tls: "none", auth: true, want: true},
		{host: "[2001:db8::1]", tls: "none", auth: true, want: true},
		{host: "localhost.example.com", tls: "none", auth: true, want: true},
		{host: "smtp.example.com", tls: "starttls", auth: true, want: false},
		{host: "smtp.example.com", tls: "tls", auth: true, want: false},
		{host: "smtp.example.com", tls: "none", auth: false, want: false},
		{host: "localhost", tls: "none", auth: true, want: false},
		{host: "LOCALHOST.", tls: "none", auth: true, want: false},
		{host: "mail.localhost", tls: "none", auth: true, want: false},
		{host: "127.0.0.1", tls: "none", auth: true, want: false},
		{host: "127.9.9.9", tls: "none", auth: true, want: false},
		{host: "::1", tls: "none", auth: true, want: false},
		{host: "[::1]", tls: "none", auth: true, want: false},
		{host: "unix:///var/run/smtp.sock", tls: "none", auth: true, want: false},
	}
	for _, tc := range tests {
		if got := cleartextAuth(tc.host, tc.tls, tc.auth); got != tc.want {
			t.Errorf("cleartextAuth(%q, %q, %v) = %v; want %v", tc.host, tc.tls, tc.auth, got, tc.want)
		}
	}
}

func TestCleartextAuthErrorNamesTheKey(t *testing.T) {
	r := Relay{Host: "smtp.example.com", Port: 25, TLS: "none", Username: "u"}
	err := checkCleartextAuth(r)
	if err == nil || !strings.Contains(err.Error(), "smtp.allow_insecure_auth") || !strings.Contains(err.Error(), "smtp.example.com") {
		t.Fatalf("checkCleartextAuth = %v; want a refusal naming the host and smtp.allow_insecure_auth", err)
	}
	r.AllowInsecureAuth = true
	if err := checkCleartextAuth(r); err != nil {
		t.Errorf("with AllowInsecureAuth: %v; want nil", err)
	}
}
