// Package tlsmode is the one parser of the TLS mode setting shared by the
// SMTP relays and the IMAP bounce mailbox: none, starttls or tls (implicit
// TLS from the first byte). The command parses the setting once, when it
// reads the configuration; the packages that dial receive a Mode.
//
// It imports the standard library only.
package tlsmode

import "fmt"

// Mode is how a connection is encrypted.
type Mode uint8

const (
	// Unset is the zero value: whoever dials picks its default (STARTTLS
	// for SMTP submission, implicit TLS for IMAP).
	Unset Mode = iota
	// None sends everything in clear text: only for a server on this host
	// or a network the admin trusts.
	None
	// StartTLS connects in clear text and must upgrade with STARTTLS
	// before anything else is sent.
	StartTLS
	// Implicit speaks TLS from the first byte (SMTP 465, IMAP 993).
	Implicit
)

var names = [...]string{Unset: "", None: "none", StartTLS: "starttls", Implicit: "tls"}

// ParseError is a setting that names no mode.
type ParseError struct{ Value string }

func (e *ParseError) Error() string {
	return fmt.Sprintf("tlsmode: %q is not none, starttls or tls", e.Value)
}

// Parse reads "none", "starttls" or "tls"; "" is Unset. Case matters, as it
// does for every other setting.
func Parse(s string) (Mode, error) {
	for m, name := range names {
		if s == name {
			return Mode(m), nil
		}
	}
	return Unset, &ParseError{Value: s}
}

// String returns the setting's spelling, "" for Unset.
func (m Mode) String() string {
	if int(m) < len(names) {
		return names[m]
	}
	return fmt.Sprintf("tlsmode.Mode(%d)", uint8(m))
}

// Known reports whether m is one of the constants, which only a conversion
// from a number can make false.
func (m Mode) Known() bool { return int(m) < len(names) }

// Or returns m, or def when m is Unset.
func (m Mode) Or(def Mode) Mode {
	if m == Unset {
		return def
	}
	return m
}

// MarshalText writes the setting's spelling.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses like Parse, so a configuration decoder can fill a
// Mode field directly.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
