package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestImportRestoresConnectionSettings: the import tunes its connection
// (foreign keys off among others); the pool must get it back as it was.
func TestImportRestoresConnectionSettings(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	db := sqlite.DB(s)
	// One connection, so the import's is the one every query gets after.
	db.SetMaxOpenConns(1)
	csv := "email,name\na@example.com,A\nb@example.com,B\n"
	if _, err := csvimport.Import(ctx, s, "c.csv", strings.NewReader(csv), subscribers.ImportConfig{List: "news"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pragma, want string }{
		{"foreign_keys", "1"},
		{"cache_size", "-2000"},
		{"wal_autocheckpoint", "1000"},
	} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("after an import, PRAGMA %s = %s; want %s", tc.pragma, got, tc.want)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM temp.sqlite_master WHERE name = 'import_seen'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("the import's temporary table outlived it")
	}
}
