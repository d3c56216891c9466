package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndImportMap imports a CRM export whose columns Dispatch would
// not guess, with --map naming the email, the name and an attribute key.
func TestEndToEndImportMap(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "crm.csv")
	os.WriteFile(file, []byte("E-mail;Full Name;Organisation;Private notes\n"+
		"ada@example.com;Ada Lovelace;Engines;owes us a letter\n"+
		"grace@example.com;Grace Hopper;Navy;\n"), 0o600)

	r := dispatch(t, dir, "import", file, "--list", "clients", "--json",
		"--map", "email=E-mail,name=Full Name,attr:company=Organisation,ignore=Private notes")
	if r.code != 0 {
		t.Fatalf("import --map: exit %d: %s", r.code, r.stderr)
	}
	var res struct {
		Added   int
		Columns struct {
			Email      string
			Name       []string
			Attributes []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("import --json: %v\n%s", err, r.stdout)
	}
	if res.Added != 2 || res.Columns.Email != "E-mail" || strings.Join(res.Columns.Name, "|") != "Full Name" ||
		strings.Join(res.Columns.Attributes, "|") != "company" {
		t.Errorf("import --map result = %+v; want 2 added, email E-mail, name Full Name, attributes [company]", res)
	}

	r = dispatch(t, dir, "subscribers", "show", "ada@example.com", "--json")
	var sub struct {
		Name       string
		Attributes map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &sub); err != nil {
		t.Fatalf("show: %v %s", err, r.stderr)
	}
	if sub.Name != "Ada Lovelace" || len(sub.Attributes) != 1 || sub.Attributes["company"] != "Engines" {
		t.Errorf("ada after import --map = %+v; want name Ada Lovelace and only company=Engines", sub)
	}
}

func TestEndToEndImportMapErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "crm.csv")
	os.WriteFile(file, []byte("Courriel,Nom\nada@example.com,Ada\n"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing header", []string{"--map", "email=E-mail"}, 1, `crm.csv: line 1: the mapping names column "E-mail", which is not in the header (the columns are "Courriel", "Nom")`},
		{"no email column", []string{"--map", "name=Nom"}, 1, `crm.csv: line 1: no email column among "Courriel", "Nom"`},
		{"bad syntax", []string{"--map", "email"}, 2, `--map: mapping "email": want role=Column`},
		{"unknown role", []string{"--map", "email=Courriel,phone=Nom"}, 2, `unknown role "phone"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"import", file, "--list", "clients"}, tc.args...)
			r := dispatch(t, dir, args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("dispatch %v: exit %d, stderr %q; want exit %d mentioning %q", args, r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	// Nothing was written: no list, no subscriber. The right mapping works.
	if r := dispatch(t, dir, "lists", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("refused imports left lists behind: %s", r.stdout)
	}
	r := dispatch(t, dir, "import", file, "--list", "clients", "--map", "email=courriel,name=nom", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"added": 1`) {
		t.Errorf("import with a case-insensitive --map: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}
