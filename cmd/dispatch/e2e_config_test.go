package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// strongSecret is what `openssl rand -hex 32` printed once.
const strongSecret = "27449900df93af97086ff1b00d185adaee6c5f5e06f677f9dcf5ae9b96482dfa"

// writeFile writes body to dir/name, creating folders.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// databases lists the SQLite files (and their -wal/-shm) under dir.
func databases(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		// The .lock beside a database (restore's guard) is not one.
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), ".db") && !strings.HasSuffix(p, ".db.lock") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// TestEndToEndConfigPathsAreRelativeToTheFile runs commands from another
// folder than the config file's: they must use the database beside the
// file, and never create one in the working directory.
func TestEndToEndConfigPathsAreRelativeToTheFile(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "site/dispatch.yaml", "database:\n  path: data/dispatch.db\nweb:\n  secret: "+strongSecret+"\n")
	csv := writeFile(t, root, "contacts.csv", "email,name\nada@example.com,Ada\nbob@example.com,Bob\n")
	elsewhere := filepath.Join(root, "elsewhere")
	os.MkdirAll(elsewhere, 0o755)
	os.MkdirAll(filepath.Join(root, "site", "data"), 0o755)

	cfg := filepath.Join("..", "site", "dispatch.yaml")
	if r := dispatch(t, elsewhere, "--config", cfg, "import", csv, "--list", "clients"); r.code != 0 {
		t.Fatalf("import: exit %d %s", r.code, r.stderr)
	}
	r := dispatch(t, elsewhere, "--config", cfg, "subscribers", "list", "--json")
	var subs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &subs); err != nil || len(subs) != 2 {
		t.Fatalf("subscribers list from another folder: %v, %d subscribers; stderr %s", err, len(subs), r.stderr)
	}
	want := filepath.Join(root, "site", "data", "dispatch.db")
	if got := databases(t, root); len(got) != 1 || got[0] != want {
		t.Errorf("database files %q; want only %s", got, want)
	}

	// A path from the environment stays relative to the working directory.
	r = dispatchEnv(t, elsewhere, []string{"DISPATCH_DATABASE_PATH=here.db"}, "--config", cfg, "lists")
	if r.code != 1 || !strings.Contains(r.stderr, "no database at "+filepath.Join(elsewhere, "here.db")) {
		t.Errorf("DISPATCH_DATABASE_PATH=here.db: exit %d %q; want it looked for in the working directory", r.code, r.stderr)
	}
}

// TestEndToEndReadCommandsNeverCreateADatabase runs every command that
// reads or applies to existing data against a missing database.
func TestEndToEndReadCommandsNeverCreateADatabase(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "site/dispatch.yaml", `smtp:
  host: 127.0.0.1
  port: 1
  tls: none
sender:
  from: "Briefing <briefing@example.com>"
  bounce_address: bounces@example.com
  postal_address: "1 Test Street, Testville"
web:
  listen: 127.0.0.1:0
  secret: `+strongSecret+"\n")
	eml := writeFile(t, dir, "bounce.eml", "From: MAILER-DAEMON@example.com\r\nSubject: x\r\n\r\nx\r\n")
	issue, _ := filepath.Abs(filepath.Join("..", "..", "examples", "issue.md"))
	missing := filepath.Join(dir, "site", "dispatch.db")
	for _, args := range [][]string{
		{"serve"},
		{"send", issue, "--list", "clients", "--yes"},
		{"campaigns"},
		{"campaigns", "show", "1"},
		{"subscribers", "list"},
		{"subscribers", "show", "ada@example.com"},
		{"subscribers", "export"},
		{"subscribers", "remove", "ada@example.com"},
		{"bounces", "process", eml},
		{"lists"},
		{"lists", "set", "clients", "--title", "Clients"},
		{"lists", "rename", "clients", "customers"},
	} {
		r := dispatch(t, dir, append([]string{"--config", "site/dispatch.yaml"}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "no database at "+missing) ||
			!strings.Contains(r.stderr, " import ") || !strings.Contains(r.stderr, " quickstart") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and \"no database at %s\" with the commands that create one", args, r.code, r.stderr, missing)
		}
	}
	if got := databases(t, dir); len(got) != 0 {
		t.Errorf("commands created %q", got)
	}
}

// TestEndToEndServeAndSendNameTheirDatabase checks the line that shows a
// wrong --config before anything happens.
func TestEndToEndServeAndSendNameTheirDatabase(t *testing.T) {
	dir := t.TempDir()
	if r := dispatch(t, dir, "quickstart"); r.code != 0 {
		t.Fatalf("quickstart: %d %s", r.code, r.stderr)
	}
	cfg := filepath.Join("dispatch-quickstart", "dispatch.yaml")
	want := fmt.Sprintf("Database %s: 12 subscribers (12 active), 1 list.", filepath.Join(dir, "dispatch-quickstart", "dispatch.db"))

	r := dispatch(t, dir, "--config", cfg, "send", filepath.Join("dispatch-quickstart", "issue.md"), "--list", "clients",
		"--new", "--capture", filepath.Join(dir, "out"), "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("send: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}

	serve := exec.Command(dispatchBin, "--config", cfg, "serve")
	serve.Dir, serve.Env = dir, append(cleanEnv(), "DISPATCH_WEB_LISTEN=127.0.0.1:0")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != want {
		t.Errorf("serve's first line %q (%v); want %q", line, err, want)
	}
}

func TestEndToEndWeakSecretsAreRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dispatch.yaml", "web:\n  secret: \"change-me-to-a-long-random-string\"\n")
	r := dispatch(t, dir, "lists", "create", "clients")
	if r.code != 1 || !strings.Contains(r.stderr, "config dispatch.yaml: line 2: web.secret") ||
		!strings.Contains(r.stderr, "placeholder") || !strings.Contains(r.stderr, "openssl rand -base64 32") {
		t.Errorf("placeholder secret: exit %d %q; want a refusal at line 2 saying how to make one", r.code, r.stderr)
	}
	r = dispatchEnv(t, dir, []string{"DISPATCH_WEB_SECRET=letmein-letmein-letmein"}, "lists", "create", "clients")
	if r.code != 1 || !strings.Contains(r.stderr, "environment variable DISPATCH_WEB_SECRET: web.secret") ||
		!strings.Contains(r.stderr, "predictable") || strings.Contains(r.stderr, "config dispatch.yaml") {
		t.Errorf("weak DISPATCH_WEB_SECRET: exit %d %q; want a refusal blamed on the variable", r.code, r.stderr)
	}
	// dispatch secret works while the configured secret is refused, and
	// what it prints is accepted.
	r = dispatch(t, dir, "secret")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(secret) != 64 {
		t.Fatalf("secret: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := dispatchEnv(t, dir, []string{"DISPATCH_WEB_SECRET=" + secret}, "lists", "create", "clients"); r.code != 0 {
		t.Errorf("a secret from `dispatch secret` was refused: %s", r.stderr)
	}
}

func TestEndToEndEnvironmentErrorsBlameTheVariable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dispatch.yaml", "smtp:\n  port: 587\n  tls: starttls\nsending:\n  concurrency: 0\n")
	r := dispatchEnv(t, dir, []string{"DISPATCH_SMTP_PORT=five"}, "lists", "create", "x")
	if want := `environment variable DISPATCH_SMTP_PORT: smtp.port: "five" is not a valid whole number`; r.code != 1 ||
		!strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "dispatch.yaml: line 2") {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
	r = dispatchEnv(t, dir, []string{"DISPATCH_SMTP_TLS=ssl"}, "lists", "create", "x")
	for _, want := range []string{
		`environment variable DISPATCH_SMTP_TLS: smtp.tls: "ssl" is not one of none, starttls, tls`,
		"config dispatch.yaml: line 5: sending.concurrency",
	} {
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr %q lacks %q", r.code, r.stderr, want)
		}
	}
	if strings.Contains(r.stderr, "dispatch.yaml: line 3") {
		t.Errorf("the variable's error was blamed on the file: %q", r.stderr)
	}
}

// TestEndToEndQuickstartKeepsEditsAndPrintsRunnableCommands edits the two
// files quickstart hands over, runs it again, then runs the commands it
// printed, exactly as printed.
func TestEndToEndQuickstartKeepsEditsAndPrintsRunnableCommands(t *testing.T) {
	dir := t.TempDir()
	if r := dispatch(t, dir, "quickstart"); r.code != 0 {
		t.Fatalf("quickstart: %d %s", r.code, r.stderr)
	}
	qs := filepath.Join(dir, "dispatch-quickstart")
	issue, _ := os.ReadFile(filepath.Join(qs, "issue.md"))
	edited := strings.Replace(string(issue), `subject: "`, `subject: "Edited `, 1)
	if edited == string(issue) {
		t.Fatal("the example issue has no subject: line to edit")
	}
	writeFile(t, qs, "issue.md", edited)
	cfg, _ := os.ReadFile(filepath.Join(qs, "dispatch.yaml"))
	editedCfg := strings.Replace(string(cfg), `site_name: "Security Chatter"`, `site_name: "My Edited Site"`, 1)
	if editedCfg == string(cfg) {
		t.Fatalf("quickstart's dispatch.yaml has no site_name to edit:\n%s", cfg)
	}
	writeFile(t, qs, "dispatch.yaml", editedCfg)

	r := dispatch(t, dir, "quickstart")
	if r.code != 0 {
		t.Fatalf("second quickstart: %d %s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(qs, "issue.md")); string(got) != edited {
		t.Error("the second quickstart overwrote the edited issue.md")
	}
	if got, _ := os.ReadFile(filepath.Join(qs, "dispatch.yaml")); string(got) != editedCfg {
		t.Error("the second quickstart overwrote the edited dispatch.yaml")
	}
	if !strings.Contains(r.stdout, "Kept your issue") || !strings.Contains(r.stdout, "Kept your dispatch-quickstart/dispatch.yaml") {
		t.Errorf("second quickstart does not say it kept the files:\n%s", r.stdout)
	}
	emls, _ := filepath.Glob(filepath.Join(qs, "outbox", "*.eml"))
	if len(emls) != 12 {
		t.Fatalf("%d messages after the second quickstart; want 12", len(emls))
	}
	raw, _ := os.ReadFile(emls[0])
	if !strings.Contains(string(raw), "Edited") {
		t.Error("the second quickstart did not send the edited issue")
	}

	for _, c := range nextCommands(t, r.stdout) {
		if strings.HasSuffix(c, " serve") || strings.Contains(c, " preview ") {
			continue // servers: their start-up is covered elsewhere
		}
		out := runCmd(t, exec.Command("sh", "-c", c), dir, nil)
		if out.code != 0 || !strings.Contains(out.stdout, "clients") {
			t.Errorf("printed command %q: exit %d, stdout %q, stderr %q", c, out.code, out.stdout, out.stderr)
		}
	}
}

// nextCommands are the indented, uncommented lines after "Next".
func nextCommands(t *testing.T, stdout string) []string {
	t.Helper()
	_, next, ok := strings.Cut(stdout, "\nNext")
	if !ok {
		t.Fatalf("no Next section in:\n%s", stdout)
	}
	var out []string
	for _, l := range strings.Split(next, "\n") {
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) != 4 {
		t.Fatalf("next commands %q; want 4", out)
	}
	return out
}

// TestEndToEndQuickstartUnderGoRun runs the README's command itself: the
// commands it prints must work where `dispatch` is not on the PATH.
func TestEndToEndQuickstartUnderGoRun(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dir := t.TempDir()
	r := runCmd(t, exec.Command("go", "run", "./cmd/dispatch", "quickstart", "--dir", dir), root, nil)
	if r.code != 0 {
		t.Fatalf("go run ./cmd/dispatch quickstart: %d %s", r.code, r.stderr)
	}
	cmds := nextCommands(t, r.stdout)
	if !strings.HasPrefix(cmds[0], "go run ./cmd/dispatch --config ") {
		t.Fatalf("under go run, quickstart printed %q", cmds[0])
	}
	out := runCmd(t, exec.Command("sh", "-c", cmds[0]), root, nil)
	if out.code != 0 || !strings.Contains(out.stdout, "finished") {
		t.Errorf("%q: exit %d %q %q", cmds[0], out.code, out.stdout, out.stderr)
	}
}

func TestEndToEndPreviewAddress(t *testing.T) {
	dir := t.TempDir()
	r := dispatch(t, dir, "preview", "--help")
	if !strings.Contains(r.stdout, defaultPreviewAddr) {
		t.Fatalf("preview --help does not show the default address %s:\n%s", defaultPreviewAddr, r.stdout)
	}
	// Mailpit and MailHog (8025, 1025), MailCatcher (1080), dispatch serve (8080).
	for _, taken := range []string{":8025", ":1025", ":1080", ":8080"} {
		if strings.HasSuffix(defaultPreviewAddr, taken) {
			t.Errorf("preview's default %s clashes with a common local server", defaultPreviewAddr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	issue, _ := filepath.Abs(filepath.Join("..", "..", "examples", "issue.md"))
	r = dispatch(t, dir, "preview", issue, "--addr", ln.Addr().String())
	if r.code != 1 || !strings.Contains(r.stderr, "--addr") || !strings.Contains(r.stderr, ln.Addr().String()) {
		t.Errorf("preview on a taken port: exit %d %q; want 1 and advice to use --addr", r.code, r.stderr)
	}
}

// TestEndToEndRelayTLSMistakes sends through real local relays configured
// with the wrong TLS mode; the error must say which setting to change.
func TestEndToEndRelayTLSMistakes(t *testing.T) {
	plain := smtptest.NewServer(t)
	implicit := smtptest.NewServer(t, smtptest.ImplicitTLS())
	tests := []struct {
		port      int
		tls, want string
	}{
		{plain.Port(), "tls", fmt.Sprintf("port %d expects `smtp.tls: starttls`", plain.Port())},
		{implicit.Port(), "starttls", "set `smtp.tls: tls`"},
		{plain.Port(), "starttls", "does not offer STARTTLS"},
	}
	issue, _ := filepath.Abs(filepath.Join("..", "..", "examples", "issue.md"))
	for _, tc := range tests {
		dir := t.TempDir()
		writeFile(t, dir, "dispatch.yaml", fmt.Sprintf(`smtp:
  host: 127.0.0.1
  port: %d
  tls: %s
  timeout: 1s
sender:
  from: "Briefing <briefing@example.com>"
  bounce_address: bounces@example.com
  postal_address: "1 Test Street, Testville"
web:
  secret: %s
`, tc.port, tc.tls, strongSecret))
		if r := dispatch(t, dir, "lists", "create", "clients"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		r := dispatch(t, dir, "send", issue, "--list", "clients", "--to", "me@example.com")
		// The advice comes first; the library's words follow for reference.
		advice, library := strings.Index(r.stderr, tc.want), strings.Index(r.stderr, "connect to 127.0.0.1")
		if r.code != 1 || advice < 0 || library < advice {
			t.Errorf("port %d with smtp.tls %s: exit %d, stderr %q; want advice %q", tc.port, tc.tls, r.code, r.stderr, tc.want)
		}
		// A campaign gets the same advice (its run reports the relay as down).
		if r := dispatch(t, dir, "subscribers", "add", "ada@example.com", "--list", "clients"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		r = dispatch(t, dir, "send", issue, "--list", "clients", "--yes", "--force")
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("campaign, port %d with smtp.tls %s: exit %d, stderr %q; want advice %q", tc.port, tc.tls, r.code, r.stderr, tc.want)
		}
	}
}

func TestEndToEndImportDryRunCreatesNoDatabase(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "contacts.csv", "email,name\nada@example.com,Ada\nnot-an-address,X\n")
	r := dispatch(t, dir, "import", csv, "--list", "clients", "--dry-run", "--json")
	var res struct{ Added, Rows int }
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || res.Added != 1 || res.Rows != 2 {
		t.Errorf("dry run: exit %d, %v, %+v, %s", r.code, err, res, r.stderr)
	}
	if got := databases(t, dir); len(got) != 0 {
		t.Errorf("import --dry-run created %q", got)
	}
}

func TestEndToEndImportRefusesSpreadsheets(t *testing.T) {
	dir := t.TempDir()
	var xlsx bytes.Buffer
	zw := zip.NewWriter(&xlsx)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte(`<?xml version="1.0"?><x/>`))
	}
	zw.Close()
	xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	for name, body := range map[string][]byte{"clients.xlsx": xlsx.Bytes(), "clients.xls": xls} {
		p := writeFile(t, dir, name, string(body))
		r := dispatch(t, dir, "import", p, "--list", "clients")
		if r.code != 1 || !strings.Contains(r.stderr, "this is an Excel workbook") || !strings.Contains(r.stderr, "save it as CSV") {
			t.Errorf("import %s: exit %d, stderr %q; want \"this is an Excel workbook\" and \"save it as CSV\"", name, r.code, r.stderr)
		}
	}
	if r := dispatch(t, dir, "lists", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("a refused workbook left lists behind: %s", r.stdout)
	}
}
