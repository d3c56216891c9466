package sqlitetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
)

// Table is a table's column names and every row, each value as text.
type Table struct {
	Columns []string
	Rows    [][]string
}

// TrackingTables dumps every table that holds anything about tracking
// (its name mentions click, open, link or tracking), so a test can show
// what the database keeps about clicks.
func TrackingTables(tb testing.TB, s *sqlite.Store) map[string]Table {
	tb.Helper()
	ctx := context.Background()
	db := conn(tb, s.Path(), live)
	defer db.Close()
	names, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND (name LIKE '%click%' OR name LIKE '%open%' OR name LIKE '%link%' OR name LIKE '%tracking%') ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for names.Next() {
		var n string
		if err := names.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := names.Err(); err != nil {
		tb.Fatal(err)
	}
	names.Close()
	out := map[string]Table{}
	for _, name := range tables {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM "%s"`, strings.ReplaceAll(name, `"`, `""`)))
		if err != nil {
			tb.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		t := Table{Columns: cols}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[i] = fmt.Sprint(v)
			}
			t.Rows = append(t.Rows, row)
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
		out[name] = t
	}
	return out
}
