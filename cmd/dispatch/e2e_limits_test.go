package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
