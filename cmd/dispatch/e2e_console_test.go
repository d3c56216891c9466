package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// usersCmd runs `dispatch users ARGS` with stdin.
func usersCmd(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(dispatchBin, append([]string{"users"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	return runCmd(t, cmd, dir, nil)
}

func TestEndToEndUsersCommands(t *testing.T) {
	dir := t.TempDir()
	const pw = "a long enough passphrase"
	if r := usersCmd(t, dir, "short\n", "add", "ada@example.com", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "at least 12") {
		t.Errorf("short password: exit %d, stderr %q; want a refusal naming the minimum", r.code, r.stderr)
	}
	if r := usersCmd(t, dir, "", "add", "ada@example.com"); r.code == 0 || !strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("no terminal: exit %d, stderr %q; want advice to use --password-stdin", r.code, r.stderr)
	}
	if r := usersCmd(t, dir, "", "add", "not-an-address", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "not an email address") {
		t.Errorf("bad address: exit %d, stderr %q", r.code, r.stderr)
	}
	r := usersCmd(t, dir, pw+"\n", "add", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, pw) {
		t.Fatalf("users add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := usersCmd(t, dir, pw+"\n", "add", "ADA@example.com", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("duplicate (other case): exit %d, stderr %q", r.code, r.stderr)
	}
	r = usersCmd(t, dir, "", "list", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"email": "ada@example.com"`) || !strings.Contains(r.stdout, `"two_factor": false`) ||
		strings.Contains(r.stdout, "argon2") {
		t.Errorf("users list --json: exit %d\n%s", r.code, r.stdout)
	}
	if r := usersCmd(t, dir, "another long passphrase\n", "reset-password", "ada@example.com", "--password-stdin"); r.code != 0 {
		t.Errorf("reset-password: exit %d %s", r.code, r.stderr)
	}
	if r := usersCmd(t, dir, "another long passphrase\n", "reset-password", "nobody@example.com", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "no account nobody@example.com") {
		t.Errorf("reset-password of an unknown account: exit %d %s", r.code, r.stderr)
	}
	if r := usersCmd(t, dir, "", "remove", "ada@example.com"); r.code != 0 {
		t.Errorf("remove: exit %d %s", r.code, r.stderr)
	}
	if r := usersCmd(t, dir, "", "list"); r.code != 0 || !strings.Contains(r.stdout, "No console accounts yet") {
		t.Errorf("list after remove: %q", r.stdout)
	}

	// Every users command is in the events history, with who ran it.
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	events, err := s.RecentEvents(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if !strings.HasPrefix(e.Actor, "cli") {
			t.Errorf("event %s by %q; want the cli user", e.Type, e.Actor)
		}
		got = append(got, e.Type+" "+e.Reason)
	}
	want := "user_removed ada@example.com|user_password_changed ada@example.com|user_added ada@example.com"
	if strings.Join(got, "|") != want {
		t.Errorf("events = %q; want %q", strings.Join(got, "|"), want)
	}
}

// serveWithConsole starts `dispatch serve` with the console on its own
// port and returns both addresses and the process's combined output.
func serveWithConsole(t *testing.T, dir, secret string) (web, admin string, output func() string) {
	t.Helper()
	web, admin = freeAddr(t), freeAddr(t)
	cfg := fmt.Sprintf("web:\n  base_url: http://%s\n  listen: %s\n  secret: %s\nadmin:\n  listen: %s\n", web, web, secret, admin)
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := exec.Command(dispatchBin, "serve")
	serve.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPATCH_") {
			serve.Env = append(serve.Env, kv)
		}
	}
	var mu sync.Mutex
	var out strings.Builder
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	serve.Stdout, serve.Stderr = w, w
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			serve.Process.Signal(os.Interrupt)
			serve.Wait()
		}
	}
	t.Cleanup(stop)
	waitHTTP(t, "http://"+web+"/healthz")
	waitHTTP(t, "http://"+admin+"/healthz")
	return web, admin, func() string { stop(); mu.Lock(); defer mu.Unlock(); return out.String() }
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func statusOf(t *testing.T, method, u string) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestEndToEndConsoleListenerIsSeparate: the public server never routes a
// console URL, the console never a public one; serve says how to create
// the first account; and after a login, no log line holds the password,
// the session id or web.secret.
func TestEndToEndConsoleListenerIsSeparate(t *testing.T) {
	dir := t.TempDir()
	secret := "c2VjcmV0LWZvci10aGUtY29uc29sZS10ZXN0LTEyMzQ1Njc4OQ"
	if r := dispatch(t, dir, "--db", filepath.Join(dir, "dispatch.db"), "lists", "create", "clients"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	web, admin, output := serveWithConsole(t, dir, secret)

	for _, p := range []string{"/login", "/lists", "/account", "/static/console.css", "/static/htmx.min.js", "/"} {
		if code := statusOf(t, http.MethodGet, "http://"+web+p); code != http.StatusNotFound {
			t.Errorf("public listener GET %s = %d; want 404", p, code)
		}
	}
	for _, p := range []string{"/login", "/logout", "/lists"} {
		if code := statusOf(t, http.MethodPost, "http://"+web+p); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("public listener POST %s = %d; want 404", p, code)
		}
	}
	for _, p := range []string{"/u/abcdef", "/webhooks/ses"} {
		if code := statusOf(t, http.MethodGet, "http://"+admin+p); code != http.StatusNotFound {
			t.Errorf("console GET %s = %d; want 404", p, code)
		}
	}
	if code := statusOf(t, http.MethodGet, "http://"+admin+"/login"); code != http.StatusOK {
		t.Errorf("console /login = %d", code)
	}

	// Log in through the console of the running server.
	const pw = "a long enough passphrase"
	if r := usersCmd(t, dir, pw+"\n", "add", "ada@example.com", "--password-stdin"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(u string) string {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	page := get("http://" + admin + "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token on the login page:\n%s", page)
	}
	resp, err := c.PostForm("http://"+admin+"/login", url.Values{"csrf": {m[1]}, "email": {"ada@example.com"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<h1>Dashboard</h1>") || !strings.Contains(string(body), "clients") {
		t.Fatalf("after login: %d\n%s", resp.StatusCode, body)
	}
	u, _ := url.Parse("http://" + admin)
	var session string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "dispatch_session" {
			session = ck.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after login")
	}
	pages := string(body) + get("http://"+admin+"/lists") + get("http://"+admin+"/account")

	// An import through the console of the running server: the upload
	// waits next to the database, and the runner imports it.
	imp := get("http://" + admin + "/imports")
	m = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(imp)
	if m == nil {
		t.Fatalf("no token on the import page:\n%s", imp)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("csrf", m[1])
	fw, _ := mw.CreateFormFile("file", "crm.csv")
	fw.Write([]byte("E-mail;Full Name\nbob@example.com;Bob\nnot-an-address;X\n"))
	mw.Close()
	resp, err = c.Post("http://"+admin+"/imports/upload", mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	mapping, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if st, err := os.Stat(filepath.Join(dir, "dispatch.db.uploads")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("upload folder: %v, %v; want dispatch.db.uploads, mode 700", st, err)
	}
	up := regexp.MustCompile(`name="upload" value="([0-9a-f]+)"`).FindStringSubmatch(string(mapping))
	if up == nil {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, mapping)
	}
	resp, err = c.PostForm("http://"+admin+"/imports/mapping", url.Values{"csrf": {m[1]}, "upload": {up[1]}, "do": {"import"}, "list": {"clients"}})
	if err != nil {
		t.Fatal(err)
	}
	result, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for i := 0; !strings.Contains(string(result), `id="n-added"`); i++ {
		if i > 300 {
			t.Fatalf("the import never ended:\n%s", result)
		}
		time.Sleep(100 * time.Millisecond)
		result = []byte(get(resp.Request.URL.String()))
	}
	if !strings.Contains(string(result), `id="n-added">1<`) || !strings.Contains(string(result), "not-an-address") {
		t.Errorf("import result:\n%s", result)
	}
	pages += imp + string(result)
	if r := dispatch(t, dir, "--db", filepath.Join(dir, "dispatch.db"), "subscribers", "show", "bob@example.com"); r.code != 0 ||
		!strings.Contains(r.stdout, "import:crm.csv") {
		t.Errorf("bob after the console's import: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	out := output()
	if !strings.Contains(out, "Admin console on http://"+admin) || !strings.Contains(out, "users add you@example.com") {
		t.Errorf("serve output does not announce the console and how to create an account:\n%s", out)
	}
	if !strings.Contains(out, "console request") {
		t.Errorf("no console access log in the output; the check below would prove nothing:\n%s", out)
	}
	for name, s := range map[string]string{"password": pw, "session id": session, "web.secret": secret} {
		if strings.Contains(out, s) {
			t.Errorf("the serve output contains the %s", name)
		}
		if strings.Contains(pages, s) {
			t.Errorf("a console page contains the %s", name)
		}
	}
}

func TestEndToEndConsoleCanBeTurnedOff(t *testing.T) {
	dir := t.TempDir()
	admin := freeAddr(t)
	addr := freeAddr(t)
	cfg := fmt.Sprintf("web:\n  base_url: http://%s\n  listen: %s\n  secret: c2VjcmV0LWZvci10aGUtY29uc29sZS10ZXN0LTEyMzQ1Njc4OQ\nadmin:\n  enabled: false\n  listen: %s\n", addr, addr, admin)
	os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600)
	dispatch(t, dir, "lists", "create", "clients")
	startServe(t, dir, addr)
	if _, err := http.Get("http://" + admin + "/login"); err == nil {
		t.Error("the console answers with admin.enabled: false")
	}
}
