package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/subscribers"
)

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
			s := mustOpen(t)
			res := mustImport(t, s, tc.file, subscribers.ImportConfig{})
			if res.Encoding != tc.encoding || res.Delimiter != tc.delimiter {
				t.Errorf("detected encoding %q delimiter %q; want %q %q", res.Encoding, res.Delimiter, tc.encoding, tc.delimiter)
			}
			if res.Added != tc.added || res.InvalidCount != 0 || res.Duplicates != 0 {
				t.Errorf("result %+v; want %d added, no invalid, no duplicates", res, tc.added)
			}
			for _, p := range tc.people {
				sub := mustFind(t, s, p.email)
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
	s := mustOpen(t)
	mustImport(t, s, "mailchimp.csv", subscribers.ImportConfig{})
	mc := mustFind(t, s, "mc.one@example.com")
	if mc.Attributes["tags"] != "clients,vip" || mc.Attributes["phone_number"] != "+1 555 0100" || mc.Attributes["member_rating"] != "2" {
		t.Errorf("mailchimp attributes = %v", mc.Attributes)
	}
	if _, ok := mc.Attributes["first_name"]; ok {
		t.Errorf("name columns leaked into attributes: %v", mc.Attributes)
	}

	res := mustImport(t, s, "listmonk.csv", subscribers.ImportConfig{})
	lm := mustFind(t, s, "lm.one@example.com")
	if lm.Attributes["company"] != "Nair & Co" || lm.Attributes["tier"] != float64(2) || lm.Attributes["uuid"] == nil {
		t.Errorf("listmonk attributes = %v; want JSON attributes merged and other columns kept", lm.Attributes)
	}
	blocked := mustFind(t, s, "lm.blocked@example.com")
	if blocked.Status != subscribers.StatusBlocklisted || len(blocked.Lists) != 0 {
		t.Errorf("listmonk blocklisted row imported as %s with lists %v; want blocklisted, no lists", blocked.Status, blocked.Lists)
	}
	if res.Added != 1 || res.Suppressed != 1 {
		t.Errorf("listmonk result added=%d suppressed=%d; want 1 and 1", res.Added, res.Suppressed)
	}

	mustImport(t, s, "outlook.csv", subscribers.ImportConfig{})
	h := mustFind(t, s, "harriet@example.com")
	if h.Attributes["e_mail_2_address"] != "hq@example.org" || h.Attributes["company"] != "Aero Ltd" {
		t.Errorf("outlook attributes = %v", h.Attributes)
	}
}

func TestImportInvalidRows(t *testing.T) {
	s := mustOpen(t)
	res := mustImport(t, s, "invalid.csv", subscribers.ImportConfig{})
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
	mustFind(t, s, "padded@example.com")
}

// TestImportInvalidValueCutAtRune: a long invalid value is shortened for the
// report at a character boundary, never inside one.
func TestImportInvalidValueCutAtRune(t *testing.T) {
	s := mustOpen(t)
	long := strings.Repeat("a", 199) + "é" + strings.Repeat("b", 100) // no @
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader("email\n"+long+"\n"), subscribers.ImportConfig{List: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 1 {
		t.Fatalf("invalid = %+v; want one row", res.Invalid)
	}
	if v := res.Invalid[0].Value; v != strings.Repeat("a", 199)+"…" {
		t.Errorf("value = %q; want 199 a's and an ellipsis", v)
	}
}

func TestImportLineNumbersCountEmbeddedNewlines(t *testing.T) {
	s := mustOpen(t)
	csv := "email,notes\r\nok@example.com,\"a\r\nb\r\nc\"\r\nbroken,x\r\n"
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(csv), subscribers.ImportConfig{List: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 1 || res.Invalid[0].Line != 5 {
		t.Fatalf("invalid = %+v; want one on line 5", res.Invalid)
	}
}

func TestImportDuplicates(t *testing.T) {
	s := mustOpen(t)
	res := mustImport(t, s, "duplicates.csv", subscribers.ImportConfig{})
	if res.Rows != 4 || res.Added != 2 || res.Duplicates != 2 {
		t.Fatalf("result %+v; want 4 rows, 2 added, 2 duplicates", res)
	}
	if sub := mustFind(t, s, "DUP@example.COM"); sub.Name != "First" || sub.Email != "dup@example.com" {
		t.Errorf("kept %q %q; want the first occurrence", sub.Email, sub.Name)
	}
}

// TestImportDuplicatesAcrossBatches makes sure de-duplication does not stop
// at a transaction boundary.
func TestImportDuplicatesAcrossBatches(t *testing.T) {
	s := mustOpen(t)
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 50 {
		fmt.Fprintf(&b, "u%d@example.com\n", i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "U%d@EXAMPLE.com\n", i)
	}
	for _, dry := range []bool{true, false} {
		res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(b.String()),
			subscribers.ImportConfig{List: "l", BatchSize: 7, DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 50 || res.Duplicates != 50 {
			t.Errorf("dry=%v: added=%d duplicates=%d; want 50 and 50", dry, res.Added, res.Duplicates)
		}
	}
}

func TestImportFileErrorsWriteNothing(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"no-header.csv", "not column names"},
		{"no-email-column.csv", "no email column"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := mustOpen(t)
			f, err := os.Open(filepath.Join("..", "testdata", "import", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = csvimport.Import(context.Background(), s, tc.file, f, subscribers.ImportConfig{List: "clients"})
			var ie *subscribers.ImportError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("err = %v; want an ImportError naming the file and saying %q", err, tc.want)
			}
			lists, err := s.FindLists(context.Background())
			if err != nil || len(lists) != 0 {
				t.Errorf("lists after failed import = %v, %v; want none", lists, err)
			}
		})
	}
	s := mustOpen(t)
	if _, err := csvimport.Import(context.Background(), s, "empty.csv", strings.NewReader(""), subscribers.ImportConfig{List: "l"}); err == nil {
		t.Error("empty file imported without error")
	}
}

func TestImportExistingAndUpdate(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	mustImport(t, s, "plain.csv", subscribers.ImportConfig{List: "clients"})

	changed := "email,name,company\nada@example.com,Ada King,Engines Ltd\ngrace@example.org,Grace Hopper,Navy\n"
	res, err := csvimport.Import(ctx, s, "c.csv", strings.NewReader(changed), subscribers.ImportConfig{List: "clients"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != 2 || res.Updated != 0 {
		t.Errorf("without --update: %+v; want 2 unchanged", res)
	}
	if sub := mustFind(t, s, "ada@example.com"); sub.Name != "Ada Lovelace" {
		t.Errorf("name changed without --update: %q", sub.Name)
	}

	res, err = csvimport.Import(ctx, s, "c.csv", strings.NewReader(changed), subscribers.ImportConfig{List: "clients", Update: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || res.Unchanged != 1 {
		t.Errorf("with --update: %+v; want 1 updated, 1 unchanged", res)
	}
	if sub := mustFind(t, s, "ada@example.com"); sub.Name != "Ada King" || sub.Attributes["company"] != "Engines Ltd" {
		t.Errorf("after --update: %q %v", sub.Name, sub.Attributes)
	}

	// Existing subscribers join a second list; that is an update.
	res, err = csvimport.Import(ctx, s, "c.csv", strings.NewReader(changed), subscribers.ImportConfig{List: "partners"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 2 || !res.ListCreated {
		t.Errorf("into a new list: %+v; want 2 updated and the list created", res)
	}
	if sub := mustFind(t, s, "grace@example.org"); len(sub.Lists) != 2 {
		t.Errorf("grace lists = %+v; want clients and partners", sub.Lists)
	}
}

// TestImportNeverReactivatesSuppressed is the suppression rule for imports.
func TestImportNeverReactivatesSuppressed(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	mustImport(t, s, "plain.csv", subscribers.ImportConfig{List: "clients"})
	ada := mustFind(t, s, "ada@example.com")
	grace := mustFind(t, s, "grace@example.org")
	linus := mustFind(t, s, "linus@example.net")
	if err := s.Suppress(ctx, ada.ID, subscribers.StatusBounced, 0, "test", "550 5.1.1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, grace.ID, grace.Lists[0].ListID, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSubscriber(ctx, linus.Email, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blocklist(ctx, "blocked@example.com", "admin", "abuse"); err != nil {
		t.Fatal(err)
	}
	in := "email,name\nADA@example.com,Ada\ngrace@example.org,Grace\nlinus@example.net,Linus\nblocked@example.com,B\n"
	for _, upd := range []bool{false, true} {
		res, err := csvimport.Import(ctx, s, "again.csv", strings.NewReader(in), subscribers.ImportConfig{List: "clients", Update: upd})
		if err != nil {
			t.Fatal(err)
		}
		if res.Suppressed != 4 || res.Added+res.Updated+res.Unchanged != 0 {
			t.Fatalf("update=%v: %+v; want all 4 suppressed", upd, res)
		}
	}
	if got := mustFind(t, s, "ada@example.com"); got.Status != subscribers.StatusBounced || got.Name != "Ada Lovelace" {
		t.Errorf("ada = %s %q; want bounced and untouched", got.Status, got.Name)
	}
	if got := mustFind(t, s, "grace@example.org"); got.Lists[0].Status != subscribers.Unsubscribed {
		t.Errorf("grace subscription = %s; want unsubscribed", got.Lists[0].Status)
	}
	if _, err := s.FindSubscriberByEmail(ctx, "linus@example.net"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("removed linus came back: %v", err)
	}
	// Also through the admin add path.
	for _, e := range []string{"ada@example.com", "linus@example.net", "blocked@example.com"} {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"clients"}}); !errors.Is(err, subscribers.ErrSuppressed) {
			t.Errorf("add %s: err = %v; want ErrSuppressed", e, err)
		}
	}
	res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "grace@example.org", Lists: []string{"clients"}})
	if err != nil || len(res.Skipped) != 1 || len(res.Subscribed) != 0 {
		t.Errorf("add grace back to clients: %+v, %v; want the list skipped", res, err)
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	s := mustOpen(t)
	res := mustImport(t, s, "plain.csv", subscribers.ImportConfig{DryRun: true})
	if res.Added != 3 || !res.DryRun {
		t.Errorf("dry run %+v; want 3 would-be additions", res)
	}
	if _, err := s.FindSubscriberByEmail(context.Background(), "ada@example.com"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("dry run wrote a subscriber: %v", err)
	}
	if lists, _ := s.FindLists(context.Background()); len(lists) != 0 {
		t.Errorf("dry run created lists %v", lists)
	}
}

func TestImportExplicitEncoding(t *testing.T) {
	s := mustOpen(t)
	// ISO-8859-15 has € at 0xA4 where Windows-1252 has ¤.
	in := []byte("email,name\neuro@example.com,Cost \xa4\n")
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(string(in)), subscribers.ImportConfig{List: "l", Encoding: "iso-8859-15"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "iso-8859-15" {
		t.Errorf("encoding = %q", res.Encoding)
	}
	if sub := mustFind(t, s, "euro@example.com"); sub.Name != "Cost €" {
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
	s := mustOpen(t)
	in := "\ufeffemail,name\nzoe@example.com,Zoë\nrene@example.com,Ren\xe9e\n"
	res, err := csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(in), subscribers.ImportConfig{List: "l", Encoding: "windows-1252"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 {
		t.Fatalf("result %+v; want 2 added", res)
	}
	for email, want := range map[string]string{"zoe@example.com": "Zoë", "rene@example.com": "Renée"} {
		if sub := mustFind(t, s, email); sub.Name != want {
			t.Errorf("%s name = %q; want %q", email, sub.Name, want)
		}
	}
}

func TestImportLegacyBytesBeyondSample(t *testing.T) {
	s := mustOpen(t)
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
	if sub := mustFind(t, s, "late@example.com"); sub.Name != "Renée" {
		t.Errorf("name = %q; want Renée", sub.Name)
	}
}

func TestImportInterruptedCanBeRepeated(t *testing.T) {
	s := mustOpen(t)
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 100 {
		fmt.Fprintf(&b, "u%d@example.com\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	res, err := csvimport.Import(ctx, s, "x.csv", strings.NewReader(b.String()), subscribers.ImportConfig{List: "l", BatchSize: 10,
		Progress: func(subscribers.ImportProgress) {
			if batches++; batches == 3 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || !res.Interrupted || res.Added != 30 {
		t.Fatalf("interrupted import: %+v, %v; want 30 added and interrupted", res, err)
	}
	res, err = csvimport.Import(context.Background(), s, "x.csv", strings.NewReader(b.String()), subscribers.ImportConfig{List: "l", BatchSize: 10})
	if err != nil || res.Added != 70 || res.Unchanged != 30 {
		t.Fatalf("re-run: %+v, %v; want 70 added and 30 unchanged", res, err)
	}
}
