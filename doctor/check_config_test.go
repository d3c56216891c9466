package doctor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

func TestCheckConfig(t *testing.T) {
	remote := []doctor.Relay{{Name: "relay", Host: "smtp.example.com", Port: 587, TLS: tlsmode.StartTLS}}
	local := []doctor.Relay{{Name: "capture", Host: "127.0.0.1", Port: 2525, TLS: tlsmode.None}}
	good := doctor.Config{BaseURL: "https://news.example.com", PostalAddress: "1 Main St", Relays: remote}
	tests := []struct {
		name   string
		change func(c *doctor.Config)
		check  string
		want   doctor.Status
		msg    string
	}{
		{name: "PublicHTTPS", check: "base url", want: doctor.OK},
		{name: "HTTPRemote", change: func(c *doctor.Config) { c.BaseURL = "http://news.example.com" },
			check: "base url", want: doctor.Fail, msg: "not https"},
		{name: "LoopbackRemoteRelay", change: func(c *doctor.Config) { c.BaseURL = "https://127.0.0.1:8080" },
			check: "base url", want: doctor.Fail, msg: "not reachable"},
		{name: "RFC1918", change: func(c *doctor.Config) { c.BaseURL = "https://192.168.1.10" },
			check: "base url", want: doctor.Fail, msg: "not reachable"},
		{name: "LocalhostName", change: func(c *doctor.Config) { c.BaseURL = "https://localhost" },
			check: "base url", want: doctor.Fail},
		{name: "LoopbackWithLocalRelayIsWarning", change: func(c *doctor.Config) {
			c.BaseURL, c.Relays = "http://127.0.0.1:8080", local
		}, check: "base url", want: doctor.Warn},
		{name: "RelayTLSOn", check: "relay tls relay", want: doctor.OK},
		{name: "RelayWithoutTLS", change: func(c *doctor.Config) { c.Relays[0].TLS = tlsmode.None },
			check: "relay tls relay", want: doctor.Fail, msg: "without TLS"},
		{name: "LocalRelayWithoutTLSIsWarning", change: func(c *doctor.Config) { c.Relays = local },
			check: "relay tls capture", want: doctor.Warn},
		{name: "SkipVerify", change: func(c *doctor.Config) { c.Relays[0].SkipVerify = true },
			check: "relay tls relay", want: doctor.Warn, msg: "not verified"},
		{name: "NoPostalAddress", change: func(c *doctor.Config) { c.PostalAddress = " " },
			check: "postal address", want: doctor.Fail},
		{name: "WeakSecret", change: func(c *doctor.Config) { c.SecretProblem = errors.New("web.secret is the example placeholder") },
			check: "secret", want: doctor.Fail, msg: "placeholder"},
		{name: "StrongSecret", check: "secret", want: doctor.OK},
		{name: "CFBLAligned", change: func(c *doctor.Config) {
			c.CFBLAddress, c.DKIM = "fbl@example.com", &doctor.DKIM{Domain: "mail.example.com"}
		}, check: "cfbl address", want: doctor.OK},
		{name: "CFBLNotAligned", change: func(c *doctor.Config) {
			c.CFBLAddress, c.DKIM = "fbl@example.net", &doctor.DKIM{Domain: "example.com"}
		}, check: "cfbl address", want: doctor.Fail, msg: "does not align"},
		{name: "CFBLWithoutDKIM", change: func(c *doctor.Config) { c.CFBLAddress = "fbl@example.com" },
			check: "cfbl address", want: doctor.Fail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Relays = append([]doctor.Relay(nil), good.Relays...)
			if tc.change != nil {
				tc.change(&c)
			}
			got := find(t, doctor.CheckConfig(&c), tc.check)
			if got.Status != tc.want || !strings.Contains(got.Message, tc.msg) {
				t.Errorf("%s = %v %q; want %v containing %q", tc.check, got.Status, got.Message, tc.want, tc.msg)
			}
		})
	}
}
