package tlsmode_test

import (
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

func TestParseRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want tlsmode.Mode
	}{
		{"", tlsmode.Unset},
		{"none", tlsmode.None},
		{"starttls", tlsmode.StartTLS},
		{"tls", tlsmode.Implicit},
	} {
		got, err := tlsmode.Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}

func TestParseRefusesOtherSpellings(t *testing.T) {
	for _, in := range []string{"ssl", "TLS", "StartTLS", " tls", "implicit"} {
		_, err := tlsmode.Parse(in)
		var pe *tlsmode.ParseError
		if !errors.As(err, &pe) || pe.Value != in {
			t.Errorf("Parse(%q) error = %v, want a ParseError naming it", in, err)
		}
	}
	var m tlsmode.Mode
	if err := m.UnmarshalText([]byte("ssl")); err == nil {
		t.Error("UnmarshalText(ssl) succeeded")
	}
	if err := m.UnmarshalText([]byte("tls")); err != nil || m != tlsmode.Implicit {
		t.Errorf("UnmarshalText(tls) = %v, %v", m, err)
	}
}

func TestOrPicksTheDefaultOnlyWhenUnset(t *testing.T) {
	if got := tlsmode.Unset.Or(tlsmode.Implicit); got != tlsmode.Implicit {
		t.Errorf("Unset.Or(Implicit) = %v", got)
	}
	if got := tlsmode.None.Or(tlsmode.Implicit); got != tlsmode.None {
		t.Errorf("None.Or(Implicit) = %v", got)
	}
}
