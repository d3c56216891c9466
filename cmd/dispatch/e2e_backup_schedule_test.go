package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// liveServe is a running `dispatch serve --log-format json` whose stdout
// lines and stderr records the test reads as they come.
type liveServe struct {
	stdout chan string
	logs   chan map[string]any
	stop   func() // stops serve and waits for it
}

func startLiveServe(t *testing.T, e *serveEnv) *liveServe {
	t.Helper()
	cmd := exec.Command(dispatchBin, "serve", "--log-format", "json")
	cmd.Dir, cmd.Env = e.dir, cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &liveServe{stdout: make(chan string, 100), logs: make(chan map[string]any, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.stdout <- sc.Text()
		}
		close(s.stdout)
	}()
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				rec = map[string]any{"msg": "not json: " + sc.Text()}
			}
			s.logs <- rec
		}
		close(s.logs)
	}()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		})
	}
	t.Cleanup(s.stop)
	waitHTTP(t, "http://"+e.addr+"/healthz")
	return s
}

// line returns the first stdout line containing want.
func (s *liveServe) line(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var seen []string
	for {
		select {
		case l, ok := <-s.stdout:
			if !ok {
				t.Fatalf("serve's stdout ended without %q:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(l, want) {
				return l
			}
			seen = append(seen, l)
		case <-timeout:
			t.Fatalf("no %q on serve's stdout after 20s:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// record waits for the next log record whose msg starts with msg.
func (s *liveServe) record(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case rec, ok := <-s.logs:
			if !ok {
				t.Fatalf("serve's log ended without %q", msg)
			}
			if m, _ := rec["msg"].(string); strings.HasPrefix(m, msg) {
				return rec
			}
		case <-timeout:
			t.Fatalf("no %q log record after 30s", msg)
		}
	}
}

// TestEndToEndServeScheduledBackups: serve takes rotating backups on the
// backup.* schedule, says so on start, keeps backup.keep of them, and each
// is a good backup that includes what serve itself wrote.
func TestEndToEndServeScheduledBackups(t *testing.T) {
	e := newServeEnv(t, 3, "backup:\n  dir: backups\n  interval: 1s\n  keep: 2\n")
	dir := filepath.Join(e.dir, "backups")
	s := startLiveServe(t, e)
	l := s.line(t, "Backing up")
	if want := "Backing up " + filepath.Join(e.dir, "dispatch.db") + " to " + dir + " every 1s, keeping the newest 2 (next in 0s)."; l != want {
		t.Errorf("start line:\n%s\nwant\n%s", l, want)
	}
	s.record(t, "scheduled backup")
	// A one-click unsubscribe served between two backups is in the next.
	if code := post(t, e.links[1], "", "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("one-click: %d", code)
	}
	for range 3 {
		s.record(t, "scheduled backup")
	}
	// Stopped, so that the files looked at are not rotated away meanwhile.
	s.stop()
	got, _ := filepath.Glob(filepath.Join(dir, "dispatch-*.db"))
	if len(got) != 2 {
		t.Fatalf("backup.keep 2 left %v", got)
	}
	newest := got[len(got)-1]
	if st, err := os.Stat(newest); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("newest backup %s: %v %v", newest, st, err)
	}
	if r := dispatch(t, e.dir, "restore", "--check", newest); r.code != 0 {
		t.Fatalf("restore --check %s: exit %d %s", newest, r.code, r.stderr)
	}
	if st := status(t, e.dir, "reader1@example.com"); st != "unsubscribed-from-list" {
		t.Fatalf("reader1 after one-click: %q", st)
	}
	restored := t.TempDir()
	os.WriteFile(filepath.Join(restored, "dispatch.yaml"), nil, 0o600)
	if r := dispatch(t, restored, "restore", newest); r.code != 0 {
		t.Fatalf("restore %s: exit %d %s", newest, r.code, r.stderr)
	}
	if st := status(t, restored, "reader1@example.com"); st != "unsubscribed-from-list" {
		t.Errorf("the scheduled backup lacks the one-click unsubscribe served before it: reader1 is %q", st)
	}
	if st := status(t, restored, "reader0@example.com"); st != "active" {
		t.Errorf("reader0 in the scheduled backup: %q", st)
	}
}

// TestEndToEndServeScheduledBackupFailureKeepsServing: a backup folder
// that cannot be made is logged as an error with its cause, and serve goes
// on answering one-click unsubscribes.
func TestEndToEndServeScheduledBackupFailureKeepsServing(t *testing.T) {
	e := newServeEnv(t, 2, "backup:\n  dir: not-a-folder\n  interval: 1s\n")
	if err := os.WriteFile(filepath.Join(e.dir, "not-a-folder"), []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startLiveServe(t, e)
	s.line(t, "every 1s, keeping the newest 7")
	for range 2 {
		rec := s.record(t, "scheduled backup failed")
		if rec["level"] != "ERROR" || !strings.Contains(rec["error"].(string), "not a directory") ||
			!strings.Contains(rec["error"].(string), "not-a-folder") {
			t.Errorf("failure record: %v", rec)
		}
	}
	if code := post(t, e.links[0], "", "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("one-click after failed backups: %d", code)
	}
	if st := status(t, e.dir, "reader0@example.com"); st != "unsubscribed-from-list" {
		t.Errorf("reader0 after one-click: %q", st)
	}
}

// TestEndToEndServeBackupScheduleSurvivesRestart: the next backup is due
// one interval after the newest one in the folder, not at every start.
func TestEndToEndServeBackupScheduleSurvivesRestart(t *testing.T) {
	e := newServeEnv(t, 1, "backup:\n  dir: backups\n  interval: 1h\n  keep: 0\n")
	if r := dispatch(t, e.dir, "backup", "--to", filepath.Join(e.dir, "backups")); r.code != 0 {
		t.Fatalf("backup --to: %s", r.stderr)
	}
	s := startLiveServe(t, e)
	l := s.line(t, "Backing up")
	if !strings.Contains(l, "every 1h, keeping all (next in 59m") && !strings.Contains(l, "(next in 1h)") {
		t.Errorf("start line after a fresh backup: %s", l)
	}
}
