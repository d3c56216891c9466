package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func exampleIssue(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", "issue.md"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndToEndRender(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte("sender:\n  postal_address: \"1 Test Street\"\n"), 0o600)
	// A known subscriber personalises the render.
	dispatch(t, dir, "subscribers", "add", "grace@example.org", "--name", "Grace Hopper", "--list", "clients")
	r := dispatch(t, dir, "render", exampleIssue(t), "--html", "out.html", "--text", "out.txt", "--as", "grace@example.org")
	if r.code != 0 {
		t.Fatalf("render: %d %s", r.code, r.stderr)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "out.html"))
	text, _ := os.ReadFile(filepath.Join(dir, "out.txt"))
	if !strings.Contains(string(html), "Good morning Grace") || !strings.Contains(string(html), "1 Test Street") ||
		!strings.Contains(string(html), "style=") {
		t.Errorf("rendered HTML is not personalised, inlined, with the postal address")
	}
	if !strings.Contains(string(text), "Good morning Grace") || !strings.Contains(string(text), "/u/") {
		t.Errorf("text part lacks the greeting or the unsubscribe URL")
	}
	for _, line := range strings.Split(string(text), "\n") {
		if len([]rune(line)) > 78 && !strings.Contains(line, "http") {
			t.Errorf("text line longer than 78 columns: %q", line)
		}
	}
	bad := filepath.Join(dir, "bad.md")
	os.WriteFile(bad, []byte("---\nsubject: [broken\n---\nbody\n"), 0o600)
	r = dispatch(t, dir, "render", bad)
	if r.code != 1 || !regexp.MustCompile(`bad\.md:[23]: error: front matter`).MatchString(r.stderr) {
		t.Errorf("broken front matter: %d %q; want exit 1 naming the file, line and front matter", r.code, r.stderr)
	}
}

func TestEndToEndPreview(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	issue := filepath.Join(dir, "issue.md")
	src, _ := os.ReadFile(exampleIssue(t))
	os.WriteFile(issue, src, 0o600)
	os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte("sender:\n  postal_address: \"1 Test Street\"\n"), 0o600)
	cmd := exec.Command(dispatchBin, "preview", issue, "--addr", addr)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	waitHTTP(t, "http://"+addr+"/")
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if body := get("/html"); !strings.Contains(body, "Security Chatter") {
		t.Errorf("/html does not show the issue")
	}
	// Editing the file shows up without restarting.
	os.WriteFile(issue, []byte(strings.Replace(string(src), "# Security Chatter", "# Security Chatter Weekly", 1)), 0o600)
	time.Sleep(20 * time.Millisecond)
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(issue, future, future)
	if body := get("/html"); !strings.Contains(body, "Security Chatter Weekly") {
		t.Errorf("/html did not follow the edit")
	}
	if body := get("/text"); !strings.Contains(body, "SECURITY CHATTER WEEKLY") && !strings.Contains(body, "Security Chatter Weekly") {
		t.Errorf("/text did not follow the edit")
	}
}

func TestEndToEndBouncesParse(t *testing.T) {
	dir := t.TempDir()
	dsn := "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+abc@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\nMIME-Version: 1.0\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown\r\n" +
		"--b--\r\n"
	path := filepath.Join(dir, "dsn.eml")
	os.WriteFile(path, []byte(dsn), 0o600)
	r := dispatch(t, dir, "bounces", "parse", path, "--json")
	if r.code != 0 {
		t.Fatalf("parse: %d %s", r.code, r.stderr)
	}
	var got struct {
		File       string
		Type       string
		Recipients []struct {
			Address   string
			Status    string
			ReplyCode string `json:"reply_code"`
			Hard      bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if got.File != path || got.Type != "bounce" || len(got.Recipients) != 1 || got.Recipients[0].Address != "gone@example.org" ||
		got.Recipients[0].Status != "5.1.1" || got.Recipients[0].ReplyCode != "550" || !got.Recipients[0].Hard {
		t.Errorf("parse = %+v", got)
	}
}
