package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// commandHang is how long one dispatch command may run in a test before it
// is taken to hang. The slowest legitimate ones (a send of a few thousand
// messages under -race on a loaded machine) take well under a minute.
const commandHang = 5 * time.Minute

// dispatchBin is the real binary, built once for the end-to-end tests.
var dispatchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dispatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dispatchBin = filepath.Join(dir, "dispatch")
	build := exec.Command("go", "build", "-o", dispatchBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dispatch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// dispatch runs the binary in dir with a clean DISPATCH_* environment.
func dispatch(t testing.TB, dir string, args ...string) result {
	t.Helper()
	return dispatchEnv(t, dir, nil, args...)
}

// dispatchEnv is dispatch with env (KEY=VALUE) added to the environment.
func dispatchEnv(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(dispatchBin, args...), dir, env)
}

// runCmd runs cmd in dir with a clean DISPATCH_* environment plus env.
func runCmd(t testing.TB, cmd *exec.Cmd, dir string, env []string) result {
	t.Helper()
	args := cmd.Args
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// A command that never ends would otherwise stall the whole package
	// until go test's timeout with no word of where it stuck: after
	// commandHang it gets SIGQUIT, which makes the Go runtime print every
	// goroutine to stderr, and the test fails with that dump.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("run dispatch %v: %v", args, err)
	}
	watchdog := time.AfterFunc(commandHang, func() { cmd.Process.Signal(syscall.SIGQUIT) })
	err := cmd.Wait()
	if !watchdog.Stop() {
		t.Fatalf("dispatch %v ran over %v and was stopped with SIGQUIT; stdout %q; stderr (goroutines):\n%s", args, commandHang, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run dispatch %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func fixture(name string) string {
	p, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "import", name))
	return p
}

func TestEndToEndImportAndList(t *testing.T) {
	dir := t.TempDir()
	r := dispatch(t, dir, "import", fixture("mailchimp.csv"), "--list", "clients", "--json")
	if r.code != 0 {
		t.Fatalf("import exit %d: %s", r.code, r.stderr)
	}
	var imp struct {
		Rows, Added, Updated, Unchanged, Suppressed, Duplicates int
		Invalid                                                 []struct {
			Line  int
			Value string
			Error string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &imp); err != nil {
		t.Fatalf("import --json output %q: %v", r.stdout, err)
	}
	if imp.Rows != 2 || imp.Added != 2 || imp.Invalid == nil {
		t.Errorf("import result %+v; want 2 rows added and an (empty) invalid array", imp)
	}
	for _, key := range []string{`"rows"`, `"added"`, `"updated"`, `"unchanged"`, `"suppressed"`, `"duplicates"`, `"invalid"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("import --json lacks %s", key)
		}
	}

	r = dispatch(t, dir, "import", fixture("invalid.csv"), "--list", "clients")
	if r.code != 0 || !strings.Contains(r.stdout, "invalid.csv:3") || !strings.Contains(r.stdout, "missing @") {
		t.Errorf("import with invalid rows: exit %d, stdout %q; want 0 and line 3 reported", r.code, r.stdout)
	}

	r = dispatch(t, dir, "subscribers", "list", "--list", "clients", "--json")
	if r.code != 0 {
		t.Fatalf("list exit %d: %s", r.code, r.stderr)
	}
	var subs []struct {
		Email      string
		Name       string
		Status     string
		Attributes map[string]any
		Lists      []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &subs); err != nil {
		t.Fatalf("list --json output: %v\n%s", err, r.stdout)
	}
	if len(subs) != 4 {
		t.Fatalf("listed %d subscribers; want 4", len(subs))
	}
	first := subs[0]
	if first.Email != "mc.one@example.com" || first.Name != "Maria Costa" || first.Status != "active" ||
		first.Attributes["tags"] != "clients,vip" || len(first.Lists) != 1 || first.Lists[0] != "clients" {
		t.Errorf("first subscriber = %+v", first)
	}

	r = dispatch(t, dir, "lists", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"subscribed": 4`) {
		t.Errorf("lists --json: %d %s", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "dispatch.db")); err != nil {
		t.Errorf("default database file missing: %v", err)
	}
}

func TestEndToEndImportErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", fixture("no-email-column.csv"), "--list", "c"}, 1, "no email column"},
		{[]string{"import", fixture("no-header.csv"), "--list", "c"}, 1, "not column names"},
		{[]string{"import", filepath.Join(dir, "missing.csv"), "--list", "c"}, 1, "no such file"},
		{[]string{"import", fixture("plain.csv")}, 2, "--list is required"},
		{[]string{"subscribers", "list", "--status", "happy"}, 2, "unknown status"},
		{[]string{"frobnicate"}, 2, "unknown command"},
	}
	for _, tc := range tests {
		r := dispatch(t, dir, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dispatch %v: exit %d stderr %q; want exit %d mentioning %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	r := dispatch(t, dir, "lists", "--json")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("failed imports left lists behind: %s", r.stdout)
	}
}

func TestEndToEndSubscriberLifecycle(t *testing.T) {
	dir := t.TempDir()
	steps := [][]string{
		{"lists", "create", "clients"},
		{"subscribers", "add", "Ada@Example.com", "--name", "Ada Lovelace", "--list", "clients", "--attr", "company=Engines"},
		{"subscribers", "blocklist", "trap@example.com", "--reason", "spam trap"},
	}
	for _, s := range steps {
		if r := dispatch(t, dir, s...); r.code != 0 {
			t.Fatalf("%v: exit %d %s", s, r.code, r.stderr)
		}
	}
	r := dispatch(t, dir, "subscribers", "show", "ada@example.com", "--json")
	var show struct {
		Email  string
		Events []struct{ Type, Actor string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil || show.Email != "Ada@Example.com" || len(show.Events) < 2 {
		t.Fatalf("show: %v %+v", err, show)
	}
	r = dispatch(t, dir, "subscribers", "export", "--list", "clients")
	if !strings.HasPrefix(r.stdout, "email,name,status,lists,attributes,created_at\n") || !strings.Contains(r.stdout, `"{""company"":""Engines""}"`) {
		t.Errorf("export = %q", r.stdout)
	}
	exported := filepath.Join(dir, "export.csv")
	os.WriteFile(exported, []byte(r.stdout), 0o600)

	if r := dispatch(t, dir, "subscribers", "remove", "ada@example.com"); r.code != 0 {
		t.Fatalf("remove: %d %s", r.code, r.stderr)
	}
	// The exported file, imported back, cannot resurrect removed or blocklisted people.
	r = dispatch(t, dir, "import", exported, "--list", "clients", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"suppressed": 1`) || !strings.Contains(r.stdout, `"added": 0`) {
		t.Errorf("re-import after remove: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, dir, "subscribers", "add", "trap@example.com", "--list", "clients")
	if r.code == 0 || !strings.Contains(r.stderr, "suppressed") {
		t.Errorf("adding a blocklisted address: exit %d %q; want a refusal", r.code, r.stderr)
	}
}

func TestEndToEndQuickstart(t *testing.T) {
	dir := t.TempDir()
	r := dispatch(t, dir, "quickstart")
	if r.code != 0 {
		t.Fatalf("quickstart exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "12 added") || !strings.Contains(r.stdout, "sent        12") {
		t.Errorf("quickstart output:\n%s", r.stdout)
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "dispatch-quickstart", "outbox", "*.eml"))
	if len(emls) != 12 {
		t.Fatalf("%d captured messages; want 12", len(emls))
	}
	raw, err := os.ReadFile(emls[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"List-Unsubscribe: <http://127.0.0.1:8080/u/", "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"X-Dispatch-Envelope-From: <bounces+", "Content-Type: multipart/alternative", "Subject: =?UTF-8?q?Security_Chatter"} {
		if !strings.Contains(string(raw), h) {
			t.Errorf("captured message lacks %q", h)
		}
	}
	cfg := filepath.Join("dispatch-quickstart", "dispatch.yaml")
	r = dispatch(t, dir, "--config", cfg, "subscribers", "list", "--json")
	var subs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &subs); err != nil || len(subs) != 12 {
		t.Errorf("after quickstart: %v, %d subscribers", err, len(subs))
	}
	r = dispatch(t, dir, "--config", cfg, "campaigns", "--json")
	var cs []struct {
		Status string
		Sent   int
	}
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil || len(cs) != 1 || cs[0].Status != "finished" || cs[0].Sent != 12 {
		t.Errorf("campaigns after quickstart: %v %+v", err, cs)
	}
	// A second quickstart starts over cleanly.
	if r := dispatch(t, dir, "quickstart"); r.code != 0 {
		t.Fatalf("second quickstart: %d %s", r.code, r.stderr)
	}
	emls, _ = filepath.Glob(filepath.Join(dir, "dispatch-quickstart", "outbox", "*.eml"))
	if len(emls) != 12 {
		t.Errorf("%d captured messages after a second quickstart; want 12", len(emls))
	}
}

// startServe runs `dispatch serve` in dir until the test ends, and waits
// until it answers /healthz at addr.
func startServe(t *testing.T, dir, addr string) {
	t.Helper()
	serve := exec.Command(dispatchBin, "serve")
	serve.Dir, serve.Env = dir, cleanEnv()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	})
	waitHTTP(t, "http://"+addr+"/healthz")
}
