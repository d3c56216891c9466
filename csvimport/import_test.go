package csvimport_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// These tests read the fixtures of testdata/import into a real store and
// check what landed: the reading is csvimport's, the store only commits.

// TestImportDialects imports every fixture dialect and checks what landed.
func TestImportDialects(t *testing.T) {
	type person struct {
		email string
		name  string
		attrs map[string]any
	}
	tests := []struct {
		file      string
		encoding  string
		delimiter string
		added     int
		people    []person
	}{
		{file: "plain.csv", encoding: "utf-8", delimiter: ",", added: 3, people: []person{
			{"ada@example.com", "Ada Lovelace", map[string]any{"company": "Analytical Engines"}},
			{"linus@example.net", "", map[string]any{}},
		}},
		{file: "excel-utf8-bom.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"zoe@example.com", "Zoë Ångström", map[string]any{"city": "Malmö"}},
		}},
		{file: "excel-windows-1252.csv", encoding: "windows-1252", delimiter: ";", added: 2, people: []person{
			{"francois@example.fr", "François Lefèvre", map[string]any{"société": "Crédit Agricole"}},
		}},
		{file: "semicolon.csv", encoding: "utf-8", delimiter: ";", added: 2, people: []person{
			{"anna@example.com", "Anna Berg", map[string]any{"country": "SE"}},
		}},
		{file: "tab.tsv", encoding: "utf-8", delimiter: "\t", added: 2, people: []person{
			{"kim@example.com", "Kim Park", map[string]any{"plan": "gold"}},
		}},
		{file: "quoted.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"quote@example.com", "Smith, Jane", map[string]any{"notes": "Line one\nline two, with a comma"}},
			{"plain@example.com", `O'Brien "Bob"`, map[string]any{"notes": "simple"}},
		}},
		{file: "mailchimp.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"mc.one@example.com", "Maria Costa", nil},
		}},
		{file: "outlook.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"harriet@example.com", "Harriet J. Quimby", nil},
		}},
		{file: "google.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"katherine@example.com", "Katherine Johnson", nil},
			{"dorothy@example.com", "Dorothy Vaughan", nil},
		}},
		{file: "excel-unicode.txt", encoding: "utf-16le", delimiter: "\t", added: 2, people: []person{
			{"yuki@example.jp", "佐藤 由紀", map[string]any{}},
		}},
		{file: "mac-classic.csv", encoding: "utf-8", delimiter: ",", added: 2, people: []person{
			{"second.mac@example.com", "Second", map[string]any{}},
		}},
		{file: "excel-sep-hint.csv", encoding: "utf-8", delimiter: ";", added: 1, people: []person{
			{"hint@example.com", "Hint User", map[string]any{}},
		}},
		{file: "excel-utf8-bom-sep-hint.csv", encoding: "utf-8", delimiter: ";", added: 1, people: []person{
			{"bom.hint@example.com", "Bom Hint", map[string]any{}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := sqlitetest.Open(t)
			res := sqlitetest.Import(t, s, tc.file, subscribers.ImportConfig{})
			if res.Encoding != tc.encoding || res.Delimiter != tc.delimiter {
				t.Errorf("detected encoding %q delimiter %q; want %q %q", res.Encoding, res.Delimiter, tc.encoding, tc.delimiter)
			}
			if res.Added != tc.added || res.InvalidCount != 0 || res.Duplicates != 0 {
				t.Errorf("result %+v; want %d added, no invalid, no duplicates", res, tc.added)
			}
			for _, p := range tc.people {
				sub := sqlitetest.FindByEmail(t, s, p.email)
				if sub.Name != p.name {
					t.Errorf("%s name = %q; want %q", p.email, sub.Name, p.name)
				}
				if p.attrs != nil && !reflect.DeepEqual(sub.Attributes, p.attrs) {
					t.Errorf("%s attributes = %v; want %v", p.email, sub.Attributes, p.attrs)
				}
				if len(sub.Lists) != 1 || sub.Lists[0].List != "clients" || sub.Lists[0].Source != "import:"+tc.file {
					t.Errorf("%s lists = %+v; want clients from import:%s", p.email, sub.Lists, tc.file)
				}
			}
		})
	}
}

func TestImportExportFormats(t *testing.T) {
	s := sqlitetest.Open(t)
	sqlitetest.Import(t, s, "mailchimp.csv", subscribers.ImportConfig{})
	mc := sqlitetest.FindByEmail(t, s, "mc.one@example.com")
	if mc.Attributes["tags"] != "clients,vip" || mc.Attributes["phone_number"] != "+1 555 0100" || mc.Attributes["member_rating"] != "2" {
		t.Errorf("mailchimp attributes = %v", mc.Attributes)
	}
	if _, ok := mc.Attributes["first_name"]; ok {
		t.Errorf("name columns leaked into attributes: %v", mc.Attributes)
	}

	res := sqlitetest.Import(t, s, "listmonk.csv", subscribers.ImportConfig{})
	lm := sqlitetest.FindByEmail(t, s, "lm.one@example.com")
	if lm.Attributes["company"] != "Nair & Co" || lm.Attributes["tier"] != float64(2) || lm.Attributes["uuid"] == nil {
		t.Errorf("listmonk attributes = %v; want JSON attributes merged and other columns kept", lm.Attributes)
	}
	blocked := sqlitetest.FindByEmail(t, s, "lm.blocked@example.com")
	if blocked.Status != subscribers.StatusBlocklisted || len(blocked.Lists) != 0 {
		t.Errorf("listmonk blocklisted row imported as %s with lists %v; want blocklisted, no lists", blocked.Status, blocked.Lists)
	}
	if res.Added != 1 || res.Suppressed != 1 {
		t.Errorf("listmonk result added=%d suppressed=%d; want 1 and 1", res.Added, res.Suppressed)
	}

	sqlitetest.Import(t, s, "outlook.csv", subscribers.ImportConfig{})
	h := sqlitetest.FindByEmail(t, s, "harriet@example.com")
	if h.Attributes["e_mail_2_address"] != "hq@example.org" || h.Attributes["company"] != "Aero Ltd" {
		t.Errorf("outlook attributes = %v", h.Attributes)
	}
}

func TestImportInvalidRows(t *testing.T) {
	s := sqlitetest.Open(t)
	res := sqlitetest.Import(t, s, "invalid.csv", subscribers.ImportConfig{})
	want := map[int]string{
		3: "missing @",
		4: "display-name",
		5: "domain has no dot",
		6: "empty email",
		7: "invalid",
		8: "whitespace",
		9: "empty label",
	}
	if res.Rows != 9 || res.Added != 2 || res.InvalidCount != len(want) {
		t.Fatalf("rows=%d added=%d invalid=%d; want 9, 2, %d (%+v)", res.Rows, res.Added, res.InvalidCount, len(want), res.Invalid)
	}
	for _, inv := range res.Invalid {
		frag, ok := want[inv.Line]
		if !ok {
			t.Errorf("unexpected invalid line %d: %+v", inv.Line, inv)
			continue
		}
		if !strings.Contains(inv.Error, frag) {
			t.Errorf("line %d error %q; want it to mention %q", inv.Line, inv.Error, frag)
		}
	}
	if inv := res.Invalid[0]; inv.Line != 3 || inv.Value != "not-an-address" {
		t.Errorf("first invalid = %+v; want line 3 value not-an-address", inv)
	}
	sqlitetest.FindByEmail(t, s, "padded@example.com")
}

func TestImportLineNumbersCountEmbeddedNewlines(t *testing.T) {
	s := sqlitetest.Open(t)
	csv := "email,notes\r\nok@example.com,\"a\r\nb\r\nc\"\r\nbroken,x\r\n"
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(csv), subscribers.ImportConfig{List: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 1 || res.Invalid[0].Line != 5 {
		t.Fatalf("invalid = %+v; want one on line 5", res.Invalid)
	}
}

func TestImportExplicitEncoding(t *testing.T) {
	s := sqlitetest.Open(t)
	// ISO-8859-15 has € at 0xA4 where Windows-1252 has ¤.
	in := []byte("email,name\neuro@example.com,Cost \xa4\n")
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(string(in)), subscribers.ImportConfig{List: "l", Encoding: "iso-8859-15"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "iso-8859-15" {
		t.Errorf("encoding = %q", res.Encoding)
	}
	if sub := sqlitetest.FindByEmail(t, s, "euro@example.com"); sub.Name != "Cost €" {
		t.Errorf("name = %q; want Cost €", sub.Name)
	}
	if _, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader("email\n"), subscribers.ImportConfig{List: "l", Encoding: "klingon"}); err == nil || !strings.Contains(err.Error(), "unknown encoding") {
		t.Errorf("unknown encoding err = %v", err)
	}
}

// TestImportExplicitEncodingUTF8BOM: a UTF-8 BOM overrides --encoding, and
// stray legacy bytes after it are read as in a detected UTF-8 file, never
// stored as invalid UTF-8. Found by FuzzCSVReader.
func TestImportExplicitEncodingUTF8BOM(t *testing.T) {
	s := sqlitetest.Open(t)
	in := "\ufeffemail,name\nzoe@example.com,Zoë\nrene@example.com,Ren\xe9e\n"
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(in), subscribers.ImportConfig{List: "l", Encoding: "windows-1252"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 {
		t.Fatalf("result %+v; want 2 added", res)
	}
	for email, want := range map[string]string{"zoe@example.com": "Zoë", "rene@example.com": "Renée"} {
		if sub := sqlitetest.FindByEmail(t, s, email); sub.Name != want {
			t.Errorf("%s name = %q; want %q", email, sub.Name, want)
		}
	}
}

func TestImportLegacyBytesBeyondSample(t *testing.T) {
	s := sqlitetest.Open(t)
	var b strings.Builder
	b.WriteString("email,name\n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "pad%d@example.com,Pad\n", i)
	}
	b.WriteString("late@example.com,Ren\xe9e\n")
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(b.String()), subscribers.ImportConfig{List: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if res.InvalidCount != 0 {
		t.Fatalf("invalid: %+v", res.Invalid)
	}
	if sub := sqlitetest.FindByEmail(t, s, "late@example.com"); sub.Name != "Renée" {
		t.Errorf("name = %q; want Renée", sub.Name)
	}
}
