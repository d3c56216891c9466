package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndServeLogFormat: every line `dispatch serve` writes to stderr
// is in the one format --log-format chooses (before, access logs were JSON
// and the bounce processor's lines text).
func TestEndToEndServeLogFormat(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			e := newSendEnv(t, 1, "")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cfgPath := filepath.Join(e.dir, "dispatch.yaml")
			cfg, _ := os.ReadFile(cfgPath)
			os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080",
				"base_url: http://"+addr+"\n  listen: "+addr, 1)), 0o600)
			serve := exec.Command(dispatchBin, "serve", "--log-format", format)
			serve.Dir, serve.Env = e.dir, cleanEnv()
			stderr, err := serve.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := serve.Start(); err != nil {
				t.Fatal(err)
			}
			waitHTTP(t, "http://"+addr+"/healthz")
			for _, p := range []string{"/u/not-a-token", "/healthz"} {
				if resp, err := http.Get("http://" + addr + p); err == nil {
					resp.Body.Close()
				}
			}
			serve.Process.Signal(os.Interrupt)
			var lines []string
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			serve.Wait()
			if len(lines) < 2 {
				t.Fatalf("%d log lines; want the database line and access logs:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			for _, l := range lines[1:] {
				var rec map[string]any
				isJSON := json.Unmarshal([]byte(l), &rec) == nil
				if format == "json" && !isJSON || format == "text" && (isJSON || !strings.Contains(l, "level=")) {
					t.Errorf("not a %s log line: %q", format, l)
				}
			}
			if first := lines[0]; format == "json" && json.Unmarshal([]byte(first), new(map[string]any)) != nil {
				t.Errorf("first line %q is not JSON", first)
			}
		})
	}
	r := dispatch(t, t.TempDir(), "serve", "--log-format", "xml")
	if r.code == 0 || !strings.Contains(r.stderr, "--log-format") {
		t.Errorf("--log-format xml: exit %d %q; want a usage error", r.code, r.stderr)
	}
}
