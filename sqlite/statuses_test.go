package sqlite

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestStatusesInSQL keeps the statuses and kinds out of the queries as
// quoted literals: a query names them through the constants of
// statuses.go, built from the domain's, so renaming one cannot leave a
// query behind. The test helpers of sqlitetest write SQL too and are held
// to the same rule.
func TestStatusesInSQL(t *testing.T) {
	named := map[string]bool{string(subscribers.HoldSchedule): true, subscribers.EventCreated: true}
	for _, st := range subscribers.Statuses {
		named[string(st)] = true
	}
	for _, v := range []string{
		string(subscribers.Subscribed), string(subscribers.Unsubscribed), string(subscribers.Unconfirmed),
		string(subscribers.DeliveryQueued), string(subscribers.DeliverySending), string(subscribers.DeliverySent),
		string(subscribers.DeliveryDeferred), string(subscribers.DeliveryFailed), string(subscribers.DeliverySkipped),
		string(subscribers.CampaignSending), string(subscribers.CampaignPaused), string(subscribers.CampaignFinished),
		string(subscribers.ImportRunning), string(subscribers.ImportFinished), string(subscribers.ImportFailed),
		string(subscribers.ImportInterrupted),
		string(subscribers.BounceHard), string(subscribers.BounceSoft), string(subscribers.BounceComplaint),
	} {
		named[v] = true
	}
	quoted := regexp.MustCompile(`'([a-z_]+)'`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	helpers, err := filepath.Glob(filepath.Join("sqlitetest", "*.go"))
	if err != nil || len(helpers) == 0 {
		t.Fatalf("sqlitetest sources: %v (found %d)", err, len(helpers))
	}
	files = append(files, helpers...)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			checked++
			for _, m := range quoted.FindAllStringSubmatch(s, -1) {
				if named[m[1]] {
					t.Errorf("%s: SQL names %s as a literal; use the constant in statuses.go (in sqlitetest, the domain's constant)", fset.Position(lit.Pos()), m[0])
				}
			}
			return true
		})
	}
	if checked < 100 {
		t.Fatalf("checked %d string literals; the package has more", checked)
	}
}

// TestStatusesMatchMigrations holds the domain's constants to what the
// migrations' CHECK constraints allow, both ways: a constant the schema
// refuses, or a value the schema allows that has no constant, fails.
func TestStatusesMatchMigrations(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	strs := func(vs ...string) []string { return vs }
	for _, c := range []struct {
		table, column string
		want          []string
	}{
		{"subscribers", "status", func() (out []string) {
			for _, st := range subscribers.Statuses {
				out = append(out, string(st))
			}
			return out
		}()},
		{"subscriptions", "status", strs(string(subscribers.Subscribed), string(subscribers.Unsubscribed),
			string(subscribers.Unconfirmed))},
		{"deliveries", "status", strs(string(subscribers.DeliveryQueued), string(subscribers.DeliverySending),
			string(subscribers.DeliverySent), string(subscribers.DeliveryDeferred), string(subscribers.DeliveryFailed),
			string(subscribers.DeliverySkipped))},
		{"campaigns", "status", strs(string(subscribers.CampaignSending), string(subscribers.CampaignPaused),
			string(subscribers.CampaignFinished))},
		{"imports", "status", strs(string(subscribers.ImportRunning), string(subscribers.ImportFinished),
			string(subscribers.ImportFailed), string(subscribers.ImportInterrupted))},
		{"bounces", "kind", strs(string(subscribers.BounceHard), string(subscribers.BounceSoft),
			string(subscribers.BounceComplaint))},
		{"unattributed_reports", "kind", strs(string(subscribers.BounceHard), string(subscribers.BounceSoft),
			string(subscribers.BounceComplaint))},
	} {
		var schema string
		if err := s.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, c.table).Scan(&schema); err != nil {
			t.Fatalf("schema of %s: %v", c.table, err)
		}
		check := regexp.MustCompile(`CHECK\s*\(\s*` + c.column + `\s+IN\s*\(([^)]*)\)\s*\)`).FindStringSubmatch(schema)
		if check == nil {
			t.Errorf("%s.%s has no CHECK (%s IN (...)) in its schema:\n%s", c.table, c.column, c.column, schema)
			continue
		}
		var allowed []string
		for _, v := range strings.Split(check[1], ",") {
			allowed = append(allowed, strings.Trim(strings.TrimSpace(v), "'"))
		}
		slices.Sort(allowed)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(allowed, want) {
			t.Errorf("%s.%s: the schema allows %q, the constants are %q", c.table, c.column, allowed, want)
		}
	}
}
