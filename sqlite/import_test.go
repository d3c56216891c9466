package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/subscribers"
)

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
