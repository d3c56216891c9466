package templates_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/templates"
)

// mailpitModule is the Mailpit the layout score is measured with. Its HTML
// check carries a snapshot of caniemail's data, so another version gives
// other numbers: change it only together with the thresholds below.
const mailpitModule = "github.com/axllent/mailpit@v1.33.1"

// The default layout must keep at least minSupported percent of its HTML
// and CSS fully supported across the mail clients caniemail knows, and at
// most maxUnsupported percent unsupported (issue 13).
const (
	minSupported   = 95.0
	maxUnsupported = 1.0
)

// htmlCheck is the part of Mailpit's /api/v1/message/{ID}/html-check answer
// the score needs: percentages weighted by the elements carrying each
// feature.
type htmlCheck struct {
	Total struct {
		Nodes       int     `json:"Nodes"`
		Tests       int     `json:"Tests"`
		Supported   float64 `json:"Supported"`
		Partial     float64 `json:"Partial"`
		Unsupported float64 `json:"Unsupported"`
	} `json:"Total"`
	Warnings []struct {
		Title string `json:"Title"`
		Score struct {
			Found       int     `json:"Found"`
			Supported   float64 `json:"Supported"`
			Partial     float64 `json:"Partial"`
			Unsupported float64 `json:"Unsupported"`
		} `json:"Score"`
	} `json:"Warnings"`
}

// TestLayoutScore sends the example issue, rendered with the default layout
// (or the layout in DISPATCH_SCORE_LAYOUT), to a real Mailpit and fails if
// its HTML check scores the layout below the thresholds. Mailpit comes from
// DISPATCH_MAILPIT, else .cache/bin/mailpit, which the test installs with
// `go install` when missing (.ci/test and scripts/layout-score.sh install it
// beforehand).
func TestLayoutScore(t *testing.T) {
	bin := mailpitBinary(t)
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	custom := os.Getenv("DISPATCH_SCORE_LAYOUT")
	cfg.Layout = custom
	c, err := templates.Compile(is, cfg)
	if err != nil {
		t.Fatalf("compile the example issue: %v", err)
	}
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}

	mp := startMailpit(t, bin)
	if err := sendHTML(mp.smtp, r.Subject, r.HTML); err != nil {
		t.Fatalf("send the issue to Mailpit: %v", err)
	}
	id := mp.latestID(t)
	var hc htmlCheck
	mp.getJSON(t, "/api/v1/message/"+id+"/html-check", &hc)
	if hc.Total.Tests == 0 {
		t.Fatalf("Mailpit's HTML check ran no tests: %+v", hc.Total)
	}
	t.Logf("score: %.1f%% supported, %.1f%% partial, %.1f%% unsupported (%d tests on %d nodes)",
		hc.Total.Supported, hc.Total.Partial, hc.Total.Unsupported, hc.Total.Tests, hc.Total.Nodes)
	for _, w := range hc.Warnings {
		if w.Score.Partial+w.Score.Unsupported > 0 {
			t.Logf("  %-40s found %4d  supported %5.1f%%  partial %5.1f%%  unsupported %5.1f%%",
				w.Title, w.Score.Found, w.Score.Supported, w.Score.Partial, w.Score.Unsupported)
		}
	}
	if custom != "" {
		return // measuring another layout: report only
	}
	if hc.Total.Supported < minSupported {
		t.Errorf("default layout: %.1f%% supported; want >= %.0f%% (the warnings above name the costly features)", hc.Total.Supported, minSupported)
	}
	if hc.Total.Unsupported > maxUnsupported {
		t.Errorf("default layout: %.1f%% unsupported; want <= %.0f%%", hc.Total.Unsupported, maxUnsupported)
	}
}

// mailpitBinary returns the Mailpit to run, installing it into the
// module's .cache/bin when it is not there. Failing to get one fails the
// test: the score must not go unchecked silently.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DISPATCH_MAILPIT"); p != "" {
		return p
	}
	gobin, err := filepath.Abs("../.cache/bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(gobin, "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("installing %s into %s", mailpitModule, gobin)
	cmd := exec.Command("go", "install", mailpitModule)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mailpit is needed to score the layout and could not be installed (go install %s): %v\n%s", mailpitModule, err, out)
	}
	return bin
}

type mailpit struct {
	http string // base URL of the web UI and API
	smtp string // host:port
}

// startMailpit runs Mailpit on free loopback ports with its database in a
// temporary directory, and waits for its API to answer.
func startMailpit(t *testing.T, bin string) *mailpit {
	t.Helper()
	httpAddr, smtpAddr := freeAddr(t), freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin,
		"--listen", httpAddr,
		"--smtp", smtpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit (%s): %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	mp := &mailpit{http: "http://" + httpAddr, smtp: smtpAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("mailpit exited before serving: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(mp.http + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", smtpAddr); err == nil {
					c.Close()
					return mp
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not answer on %s within 30s: %v\n%s", mp.http, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sendHTML sends a single-part HTML message over plain SMTP.
func sendHTML(addr, subject string, html []byte) error {
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: briefings@example.com\r\nTo: ada@example.com\r\nSubject: %s\r\n", subject)
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(html)
	for len(enc) > 76 {
		msg.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	msg.WriteString(enc + "\r\n")
	return smtp.SendMail(addr, nil, "briefings@example.com", []string{"ada@example.com"}, msg.Bytes())
}

// latestID returns the id of the one message in Mailpit's inbox.
func (m *mailpit) latestID(t *testing.T) string {
	t.Helper()
	var list struct {
		Messages []struct {
			ID string `json:"ID"`
		} `json:"messages"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.getJSON(t, "/api/v1/messages", &list)
		if len(list.Messages) > 0 {
			return list.Messages[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatal("the message sent to mailpit never showed up in /api/v1/messages")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mailpit) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.http + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(body.String()))
	}
	if err := json.Unmarshal(body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: decode %q: %v", path, body.String(), errors.Unwrap(err))
	}
}
