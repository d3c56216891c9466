package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/internal/dnstest"
)

type doctorOut struct {
	OK     bool
	Fails  int
	Checks []struct {
		Group, Name, Status, Message, Fix string
	}
}

func (d doctorOut) check(t *testing.T, name string) (status, message, fix string) {
	t.Helper()
	for _, c := range d.Checks {
		if c.Name == name {
			return c.Status, c.Message, c.Fix
		}
	}
	t.Fatalf("doctor --json has no check %q: %+v", name, d.Checks)
	return "", "", ""
}

// TestEndToEndDoctor runs `dispatch doctor` against a real DNS server, a
// real SMTP relay and a real `dispatch serve`, all on 127.0.0.1: with the
// records published it passes; without DMARC it fails and prints the
// record to publish.
func TestEndToEndDoctor(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	rec, err := doctor.DKIMRecord(&doctor.DKIM{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	zone := dnstest.Zone{
		"example.com":                 {"TXT v=spf1 ip4:192.0.2.10 -all", "MX 10 mx.example.com."},
		"news._domainkey.example.com": {"TXT " + rec},
		"_dmarc.example.com":          {"TXT v=DMARC1; p=none; rua=mailto:dmarc@example.com"},
	}
	resolver := dnstest.Start(t, zone)
	e := newSendEnv(t, 2, "dkim:\n  domain: example.com\n  selector: news\n  private_key_file: dkim.pem\n"+
		"doctor:\n  resolver: "+resolver+"\n")
	os.WriteFile(filepath.Join(e.dir, "dkim.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	cfgPath := filepath.Join(e.dir, "dispatch.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080", "base_url: http://"+addr+"\n  listen: "+addr, 1))
	os.WriteFile(cfgPath, cfg, 0o600)

	startServe(t, e.dir, addr)

	r := dispatch(t, e.dir, "doctor", "--json")
	var out doctorOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	if r.code != 0 || !out.OK {
		t.Fatalf("doctor exit %d ok=%v; want 0 with everything published:\n%s", r.code, out.OK, r.stdout)
	}
	for name, want := range map[string]string{
		"dkim": "ok", "dmarc": "ok", "bounce mx": "ok", "dkim alignment": "ok", "spf alignment": "ok",
		"one-click urlencoded": "ok", "one-click multipart": "ok", "healthz": "ok",
		"dkim signature": "ok", "from": "ok", "list-unsubscribe": "ok",
		// The relay is on this machine: warnings, not failures.
		"base url": "warn", "spf": "warn",
	} {
		if got, msg, _ := out.check(t, name); got != want {
			t.Errorf("%s = %s (%s); want %s", name, got, msg, want)
		}
	}
	if got, msg, _ := out.check(t, "relay 127.0.0.1:"+strconv.Itoa(e.srv.Port())+" pipelining"); got != "ok" {
		t.Errorf("relay pipelining = %s (%s); want ok", got, msg)
	}
	if n := e.srv.Stats().Messages; n != 0 {
		t.Errorf("doctor sent %d messages; want none", n)
	}
	// Doctor's one-click probe changed nobody.
	if r := dispatch(t, e.dir, "subscribers", "list", "--json"); strings.Count(r.stdout, `"active"`) != 2 {
		t.Errorf("after doctor, subscribers: %s; want both still active", r.stdout)
	}

	delete(zone, "_dmarc.example.com")
	resolver2 := dnstest.Start(t, zone)
	cfg = []byte(strings.Replace(string(cfg), resolver, resolver2, 1))
	os.WriteFile(cfgPath, cfg, 0o600)
	r = dispatch(t, e.dir, "doctor")
	if r.code != 1 {
		t.Errorf("doctor without DMARC: exit %d; want 1\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"FAIL", "dmarc", `publish TXT _dmarc.example.com "v=DMARC1; p=none; rua=mailto:dmarc@example.com"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.stdout)
		}
	}
}
