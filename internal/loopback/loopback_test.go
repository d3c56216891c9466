package loopback_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/loopback"
)

func TestIsHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":                 true,
		"LOCALHOST.":                true,
		"mail.localhost":            true,
		"127.0.0.1":                 true,
		"127.9.9.9":                 true,
		"::1":                       true,
		"[::1]":                     true,
		"::1%lo":                    true,
		"unix:///var/run/smtp.sock": true,
		"smtp.example.com":          false,
		"localhost.example.com":     false,
		"10.0.0.5":                  false,
		"0.0.0.0":                   false,
		"[2001:db8::1]":             false,
		"":                          false,
	} {
		if got := loopback.IsHost(host); got != want {
			t.Errorf("IsHost(%q) = %v, want %v", host, got, want)
		}
	}
}
