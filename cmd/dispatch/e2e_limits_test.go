package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestEndToEndImportLimits feeds the binary hostile files: each bad row is
// skipped with its line and the limit's key, the good rows around it land.
func TestEndToEndImportLimits(t *testing.T) {
	dir := t.TempDir()
	attrCols, attrVals := "", ""
	for i := range 100 {
		attrCols += fmt.Sprintf(",a%d", i)
		attrVals += "," + strings.Repeat("y", 1000)
	}
	files := []struct {
		name, body, want string
	}{
		{name: "big-field.csv", want: "big-field.csv:3: \"bob@example.com\": field 2 (\"name\") is longer than 64 KiB (import.max_field_bytes)",
			body: "email,name\nada@example.com,Ada\nbob@example.com,\"" + strings.Repeat("n\n", 4<<20) + "\"\ncy@example.com,Cy\n"},
		{name: "wide.csv", want: "wide.csv:3: \"bob@example.com\": the row has more than 1000 fields (import.max_columns)",
			body: "email,name\nada@example.com,Ada\nbob@example.com,Bob" + strings.Repeat(",x", 100_000) + "\ncy@example.com,Cy\n"},
		{name: "attrs.csv", want: "attrs.csv:3: \"bob@example.com\": the attributes are",
			body: "email" + attrCols + "\nada@example.com\nbob@example.com" + attrVals + "\ncy@example.com\n"},
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, []byte(f.body), 0o600); err != nil {
			t.Fatal(err)
		}
		list := strings.TrimSuffix(f.name, ".csv")
		db := "--db=" + filepath.Join(dir, list+".db")
		r := dispatch(t, dir, "import", path, "--list", list, db)
		if r.code != 0 || !strings.Contains(r.stdout, f.want) || !strings.Contains(r.stdout, "added         2") {
			t.Errorf("import %s: exit %d, stdout %q; want 0, 2 added and %q", f.name, r.code, r.stdout, f.want)
		}
		r = dispatch(t, dir, "subscribers", "list", "--list", list, "--json", db)
		if strings.Contains(r.stdout, "bob@example.com") || !strings.Contains(r.stdout, "cy@example.com") {
			t.Errorf("after importing %s the list holds %s; want ada and cy only", f.name, r.stdout)
		}
	}

	// The limits are configuration, and `subscribers add` keeps the
	// attribute limit too.
	cfg := "import:\n  max_columns: 3\n  max_attributes_bytes: 100\n"
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "four.csv")
	if err := os.WriteFile(path, []byte("email,a,b\nada@example.com,1,2\nbob@example.com,1,2,3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := dispatch(t, dir, "import", path, "--list", "four")
	if r.code != 0 || !strings.Contains(r.stdout, "four.csv:3") || !strings.Contains(r.stdout, "more than 3 fields (import.max_columns)") {
		t.Errorf("import with max_columns 3: exit %d, stdout %q", r.code, r.stdout)
	}
	r = dispatch(t, dir, "subscribers", "add", "dee@example.com", "--attr", "bio="+strings.Repeat("b", 200))
	if r.code != 1 || !strings.Contains(r.stderr, "import.max_attributes_bytes") {
		t.Errorf("add with 200-byte attributes under a 100-byte limit: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestEndToEndSendRefusesCleartextAuth configures AUTH without TLS to
// 0.0.0.0 (it reaches the test server on 127.0.0.1, but is not a loopback
// address): send refuses before connecting, naming the key that allows it.
func TestEndToEndSendRefusesCleartextAuth(t *testing.T) {
	e := newSendEnv(t, 3, "", smtptest.RequireAuth("dispatch", "s3cret"))
	path := filepath.Join(e.dir, "dispatch.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	setConfig := func(smtp string) {
		t.Helper()
		cfg := strings.Replace(string(data), "  host: 127.0.0.1\n", "  host: 0.0.0.0\n  username: dispatch\n  password: s3cret\n"+smtp, 1)
		// A relay off this machine means real mail: links must be public.
		cfg = strings.Replace(cfg, "base_url: http://127.0.0.1:8080", "base_url: https://news.example.com", 1)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setConfig("")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "smtp.allow_insecure_auth") || !strings.Contains(r.stderr, "in clear text to 0.0.0.0") {
		t.Fatalf("send with cleartext AUTH: exit %d, stderr %q; want a refusal naming smtp.allow_insecure_auth", r.code, r.stderr)
	}
	if c := e.srv.Stats().Connections; c != 0 {
		t.Fatalf("%d connections to the relay; want the refusal before connecting", c)
	}

	// --force: the pre-send checks fail this test setup (no DNS for
	// example.com, no TLS) for reasons that are not under test here.
	setConfig("  allow_insecure_auth: true\n")
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--force")
	if r.code != 0 || len(e.srv.Messages()) != 3 {
		t.Fatalf("send with allow_insecure_auth: exit %d, %d messages, stderr %q; want 3 sent", r.code, len(e.srv.Messages()), r.stderr)
	}
}

// TestEndToEndHostileNamesInOutputAndExport adds a subscriber whose name
// carries terminal escapes and whose attributes start like formulas: the
// human output shows the escapes as text, JSON keeps the exact value, the
// CSV export neutralises the formulas, and the export imports back as it
// was.
func TestEndToEndHostileNamesInOutputAndExport(t *testing.T) {
	dir := t.TempDir()
	name := "Evil\x1b[2J\x1b]0;pwned\x07 Name"
	r := dispatch(t, dir, "subscribers", "add", "ada@example.com", "--name", name, "--list", "clients",
		"--attr", "formula==HYPERLINK(\"http://evil.example\",\"x\")", "--attr", "phone=+44 20 7946 0000")
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	formula := `=cmd|' /C calc'!A0`
	if r := dispatch(t, dir, "subscribers", "add", "bob@example.com", "--name", formula, "--list", "clients"); r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"subscribers", "list"}, {"subscribers", "show", "ada@example.com"}} {
		r := dispatch(t, dir, args...)
		if r.code != 0 || strings.ContainsAny(r.stdout, "\x1b\x07") || !strings.Contains(r.stdout, `Evil\x1b[2J\x1b]0;pwned\x07 Name`) {
			t.Errorf("%v: exit %d, stdout %q; want the escapes shown as text", args, r.code, r.stdout)
		}
	}
	r = dispatch(t, dir, "subscribers", "show", "ada@example.com", "--json")
	var sub struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &sub); err != nil || sub.Name != name {
		t.Errorf("show --json: %v, name %q; want valid JSON with the exact name", err, sub.Name)
	}

	r = dispatch(t, dir, "subscribers", "export")
	if r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export is not a 3-row CSV (%v): %q", err, r.stdout)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q starts like a formula", cell)
			}
		}
	}
	if rows[2][1] != "'"+formula {
		t.Errorf("exported formula name %q; want it after an apostrophe", rows[2][1])
	}
	if rows[1][1] != name {
		t.Errorf("exported name %q; want the stored value, escapes included (it is data)", rows[1][1])
	}

	path := filepath.Join(dir, "export.csv")
	os.WriteFile(path, []byte(r.stdout), 0o600)
	other := "--db=" + filepath.Join(dir, "other.db")
	if r := dispatch(t, dir, "import", path, "--list", "clients", other); r.code != 0 {
		t.Fatalf("import of the export: exit %d: %s", r.code, r.stderr)
	}
	r = dispatch(t, dir, "subscribers", "show", "ada@example.com", "--json", other)
	var back struct {
		Name       string
		Attributes map[string]string
	}
	if err := json.Unmarshal([]byte(r.stdout), &back); err != nil {
		t.Fatalf("show --json after re-import: %v: %s", err, r.stdout)
	}
	r = dispatch(t, dir, "subscribers", "show", "bob@example.com", "--json", other)
	var bob struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &bob); err != nil || bob.Name != formula {
		t.Errorf("re-imported name %q (%v); want %q without the apostrophe", bob.Name, err, formula)
	}
	if back.Name != name || back.Attributes["formula"] != `=HYPERLINK("http://evil.example","x")` || back.Attributes["phone"] != "+44 20 7946 0000" {
		t.Errorf("re-imported %+v; want the original name and attributes", back)
	}
}
