package mailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/templates"
)

// TestProbe connects as a send would and reports the session, sending
// nothing.
func TestProbe(t *testing.T) {
	tests := []struct {
		name    string
		opts    []smtptest.Option
		tls     tlsmode.Mode
		auth    bool
		wantTLS bool
		wantErr string
	}{
		{name: "Plain", tls: tlsmode.None},
		{name: "STARTTLSWithAuth", opts: []smtptest.Option{smtptest.StartTLS(), smtptest.RequireAuth("dispatch", "s3cret")},
			tls: tlsmode.StartTLS, auth: true, wantTLS: true},
		{name: "ImplicitTLS", opts: []smtptest.Option{smtptest.ImplicitTLS()}, tls: tlsmode.Implicit, wantTLS: true},
		{name: "WrongPassword", opts: []smtptest.Option{smtptest.StartTLS(), smtptest.RequireAuth("dispatch", "other")},
			tls: tlsmode.StartTLS, auth: true, wantErr: "auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 1, tc.opts...)
			r := e.relay(1)
			r.TLS, r.RootCAs = tc.tls, e.srv.RootCAs()
			if tc.auth {
				r.Username, r.Password = "dispatch", "s3cret"
			}
			s, err := mailer.New(e.config(r), e.store)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Probe(context.Background(), 0)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.wantErr) {
					t.Fatalf("Probe error = %v; want one about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.TLS != tc.wantTLS || p.Verified != tc.wantTLS {
				t.Errorf("TLS %v verified %v; want %v", p.TLS, p.Verified, tc.wantTLS)
			}
			if _, ok := p.Extensions["PIPELINING"]; !ok {
				t.Errorf("extensions %v; want PIPELINING (go-smtp offers it)", p.Extensions)
			}
			if p.RTT <= 0 {
				t.Errorf("RTT %v; want a measured round trip", p.RTT)
			}
			if st := e.srv.Stats(); st.Messages != 0 || st.Connections != 1 {
				t.Errorf("stats %+v; want one connection and no message", st)
			}
		})
	}
}

// TestBuildTestIsWhatSendTestSends: the bytes a lint sees are the bytes
// on the wire, except for the per-copy token, Message-ID and date.
func TestBuildTestIsWhatSendTestSends(t *testing.T) {
	e := newEnv(t, 1)
	s, err := mailer.New(e.config(e.relay(1)), e.store)
	if err != nil {
		t.Fatal(err)
	}
	tm := mailer.TestMessage{Issue: e.issue, Recipient: templates.Recipient{Email: "reader@example.com", Name: "Reader"},
		ListID: e.list.ID, ListName: "clients"}
	built, err := s.BuildTest(tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendTest(context.Background(), tm); err != nil {
		t.Fatal(err)
	}
	sent := e.srv.Messages()[0].Data
	// The per-copy delivery token is also the MIME boundary.
	strip := func(b []byte) []string {
		var keep []string
		s := string(b)
		if i := strings.Index(s, "X-Dispatch-Delivery: "); i >= 0 {
			tok, _, _ := strings.Cut(s[i+len("X-Dispatch-Delivery: "):], "\r\n")
			s = strings.ReplaceAll(s, tok, "TOKEN")
		}
		for _, l := range strings.Split(s, "\r\n") {
			if !strings.HasPrefix(l, "Message-ID:") && !strings.HasPrefix(l, "Date:") {
				keep = append(keep, l)
			}
		}
		return keep
	}
	if a, b := strip(built), strip(sent); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("built and sent messages differ:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}
