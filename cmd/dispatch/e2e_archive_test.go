package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEndToEndListVisibility sets a list public and private again with
// the real binary, and refuses the contradictory flags.
func TestEndToEndListVisibility(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte("sender:\n  postal_address: \"1 Test Street\"\n"), 0o600)
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lists", "create", "briefing", "--public"}, 0, `Created public list "briefing"`},
		{[]string{"lists", "create", "clients"}, 0, `Created private list "clients"`},
		{[]string{"lists", "set", "briefing", "--private"}, 0, `Updated private list "briefing"`},
		{[]string{"lists", "set", "clients", "--public"}, 0, `Updated public list "clients"`},
		{[]string{"lists", "set", "clients", "--public", "--private"}, 2, "pass --public or --private, not both"},
	}
	for _, s := range steps {
		r := dispatch(t, dir, s.args...)
		out := r.stdout + r.stderr
		if r.code != s.code || !strings.Contains(out, s.want) {
			t.Errorf("%v: exit %d, output %q; want %d and %q", s.args, r.code, out, s.code, s.want)
		}
	}
	r := dispatch(t, dir, "lists", "--json")
	var lists []listJSON
	if err := json.Unmarshal([]byte(r.stdout), &lists); err != nil {
		t.Fatalf("lists --json: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, l := range lists {
		got[l.Name] = l.Visibility
	}
	if got["briefing"] != "private" || got["clients"] != "public" {
		t.Errorf("visibility = %v; want briefing private, clients public", got)
	}
	if r := dispatch(t, dir, "lists"); !strings.Contains(r.stdout, "VISIBILITY") || !strings.Contains(r.stdout, "public") {
		t.Errorf("lists table does not show the visibility:\n%s", r.stdout)
	}
}

var (
	webLinkRE    = regexp.MustCompile(`View this email in your browser: (\S+)`)
	manageLinkRE = regexp.MustCompile(`Manage your subscription: (\S+)`)
)

// TestEndToEndArchive sends to a public list through the real binary and
// follows the message's links against the real `dispatch serve`: the
// List-Archive header names the archive, the web version shows the issue
// to no one in particular, and the archive lists it.
func TestEndToEndArchive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newSendEnv(t, 2, "")
	cfgPath := filepath.Join(e.dir, "dispatch.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080", "base_url: http://"+addr+"\n  listen: "+addr, 1))
	os.WriteFile(cfgPath, cfg, 0o600)
	if r := dispatch(t, e.dir, "lists", "set", "clients", "--public"); r.code != 0 {
		t.Fatalf("lists set: %s", r.stderr)
	}
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages; want 2", len(msgs))
	}
	h, text, _ := mailParts(t, msgs[0].Data)
	if got := h.Get("List-Archive"); got != "<http://"+addr+"/archive/clients>" {
		t.Errorf("List-Archive = %q; want the list's archive", got)
	}
	web := webLinkRE.FindStringSubmatch(text)
	manage := manageLinkRE.FindStringSubmatch(text)
	if web == nil || manage == nil {
		t.Fatalf("text part lacks the web version or manage link:\n%s", text)
	}
	if !strings.HasPrefix(web[1], "http://"+addr+"/archive/clients/") || !strings.Contains(web[1], "?k=") {
		t.Errorf("web link = %q; want the archive address with its key", web[1])
	}

	startServe(t, e.dir, addr)
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get(web[1])
	if code != 200 || !strings.Contains(page, "Security Chatter") {
		t.Errorf("web version: %d; want the issue", code)
	}
	if strings.Contains(page, "reader0@example.com") || strings.Contains(page, "reader1@example.com") {
		t.Errorf("the web version shows a recipient's address")
	}
	code, index := get("http://" + addr + "/archive/clients")
	if code != 200 || !strings.Contains(index, `href="/archive/clients/`) {
		t.Errorf("archive index: %d; want the issue listed\n%s", code, index)
	}
	if code, _ := get("http://" + addr + "/archive/clients/feed.atom"); code != 200 {
		t.Errorf("feed: %d", code)
	}

	// Private again: the index goes, the email's link still works.
	if r := dispatch(t, e.dir, "lists", "set", "clients", "--private"); r.code != 0 {
		t.Fatalf("lists set --private: %s", r.stderr)
	}
	if code, _ := get("http://" + addr + "/archive/clients"); code != 404 {
		t.Errorf("index of a private list: %d; want 404", code)
	}
	if code, _ := get(web[1]); code != 200 {
		t.Errorf("the email's link after the list went private: %d; want 200", code)
	}
}
