package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEndToEndListTitleAndRename(t *testing.T) {
	dir := t.TempDir()
	postal := []byte("sender:\n  postal_address: \"1 Test Street\"\n")
	os.WriteFile(filepath.Join(dir, "dispatch.yaml"), postal, 0o600)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"lists", "create", "clients", "--title", "Northwind Security Briefing"}, `shown to recipients as "Northwind Security Briefing"`},
		{[]string{"subscribers", "add", "ada@example.com", "--list", "clients"}, ""},
		{[]string{"lists", "set", "clients", "--description", "paying customers"}, `shown to recipients as "Northwind Security Briefing"`},
		{[]string{"lists", "rename", "clients", "northwind"}, `Renamed list "clients" to "northwind"`},
	}
	for _, s := range steps {
		r := dispatch(t, dir, s.args...)
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want 0 and %q", s.args, r.code, r.stdout, r.stderr, s.want)
		}
	}
	r := dispatch(t, dir, "lists", "--json")
	var lists []listJSON
	if err := json.Unmarshal([]byte(r.stdout), &lists); err != nil {
		t.Fatalf("lists --json: %v\n%s", err, r.stdout)
	}
	if len(lists) != 1 || lists[0].Name != "northwind" || lists[0].Title != "Northwind Security Briefing" ||
		lists[0].Description != "paying customers" || lists[0].Subscribed != 1 {
		t.Errorf("lists after rename = %+v; want northwind, titled, described, 1 subscriber", lists)
	}
	if st := status(t, dir, "ada@example.com"); st != "active" {
		t.Errorf("subscriber after rename: %s; want still active on the list", st)
	}
	fresh := t.TempDir()
	os.WriteFile(filepath.Join(fresh, "dispatch.yaml"), postal, 0o600)
	if r := dispatch(t, fresh, "render", exampleIssue(t), "--list", "northwind", "--text", "-"); r.code != 0 {
		t.Errorf("render without a database: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(fresh, "dispatch.db")); err == nil {
		t.Errorf("render created a database")
	}
	// render without a send shows the footer a recipient of the list gets.
	r = dispatch(t, dir, "render", exampleIssue(t), "--list", "northwind", "--text", "-")
	if flat := strings.Join(strings.Fields(r.stdout), " "); r.code != 0 || !strings.Contains(flat, "subscribed to Northwind Security Briefing as") {
		t.Errorf("render --list northwind: exit %d; want the title in the footer of\n%s%s", r.code, r.stdout, r.stderr)
	}

	errs := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lists", "set", "northwind"}, 2, "nothing to change: pass --title, --description, --public or --private"},
		{[]string{"lists", "set", "clients", "--title", "x"}, 1, `list "clients": not found`},
		{[]string{"lists", "set", "northwind", "--title", "a\nb"}, 1, "control character"},
		{[]string{"lists", "create", "staff", "--title", strings.Repeat("x", 201)}, 1, "longer than 200"},
		{[]string{"lists", "rename", "northwind"}, 2, ""},
	}
	for _, e := range errs {
		r := dispatch(t, dir, e.args...)
		if r.code != e.code || !strings.Contains(r.stderr, e.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", e.args, r.code, r.stderr, e.code, e.want)
		}
	}
	dispatch(t, dir, "lists", "create", "staff")
	if r := dispatch(t, dir, "lists", "rename", "northwind", "STAFF"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("rename onto an existing list: exit %d %q; want a refusal", r.code, r.stderr)
	}
	r = dispatch(t, dir, "lists", "set", "northwind", "--title", "")
	if r.code != 0 || !strings.Contains(r.stdout, "recipients see the name") {
		t.Errorf("clearing the title: exit %d %q", r.code, r.stdout)
	}
}

// mailParts decodes a raw message: its header and its text and HTML parts.
func mailParts(t *testing.T, raw []byte) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("message Content-Type: %v", err)
	}
	var text, html string
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		b, err := io.ReadAll(p) // multipart decodes quoted-printable itself
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = string(b)
		} else {
			text = string(b)
		}
	}
	return m.Header, text, html
}

// TestEndToEndListTitleReachesRecipients sends through the real binary to a
// real SMTP server and follows the link to a real `dispatch serve`: the
// recipient sees the title, never the internal name; a rename afterwards
// keeps the campaign and the subscriptions.
func TestEndToEndListTitleReachesRecipients(t *testing.T) {
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

	const title = "Northwind Security Briefing"
	if r := dispatch(t, e.dir, "lists", "set", "clients", "--title", title); r.code != 0 {
		t.Fatalf("lists set: %s", r.stderr)
	}
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages; want 2", len(msgs))
	}
	h, text, html := mailParts(t, msgs[0].Data)
	if got := h.Get("List-Id"); !strings.HasPrefix(got, `"`+title+`" <clients.`) {
		t.Errorf("List-Id = %q; want the title as its phrase", got)
	}
	if flat := strings.Join(strings.Fields(text), " "); !strings.Contains(flat, "because you subscribed to "+title+" as") {
		t.Errorf("text part footer does not name the title:\n%s", text)
	}
	if !strings.Contains(html, "because you subscribed to "+title+" as") {
		t.Errorf("HTML footer does not name the title")
	}
	if strings.Contains(text, "subscribed to clients") || strings.Contains(html, "subscribed to clients") {
		t.Errorf("the message shows the internal list name")
	}

	link := unsubRE.FindSubmatch(msgs[0].Data)
	if link == nil {
		t.Fatal("no List-Unsubscribe")
	}
	startServe(t, e.dir, addr)
	resp, err := http.Get(string(link[1]))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<strong>"+title+"</strong>") {
		t.Errorf("unsubscribe page: %d; want the title in\n%s", resp.StatusCode, page)
	}
	if strings.Contains(string(page), "<strong>clients</strong>") {
		t.Errorf("unsubscribe page shows the internal name")
	}

	// Renaming keeps the campaign: the same command resumes it (and finds
	// it finished) under the new name, and nobody is mailed again.
	if r := dispatch(t, e.dir, "lists", "rename", "clients", "northwind"); r.code != 0 {
		t.Fatalf("rename: %s", r.stderr)
	}
	r := dispatch(t, e.dir, "send", e.issue, "--list", "northwind", "--yes")
	if r.code != 0 || !strings.Contains(r.stderr, "already finished") || len(e.srv.Messages()) != 2 {
		t.Errorf("send after rename: exit %d, %d messages, stderr %q; want the finished campaign found", r.code, len(e.srv.Messages()), r.stderr)
	}
	cs := campaignsJSON(t, e.dir)
	if len(cs) != 1 || cs[0].Sent != 2 {
		t.Errorf("campaigns after rename = %+v; want the one campaign, 2 sent", cs)
	}
	if st := status(t, e.dir, "reader1@example.com"); st != "active" {
		t.Errorf("reader1 after rename: %s; want active on the list", st)
	}
}
