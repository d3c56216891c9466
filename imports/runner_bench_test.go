package imports_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

var benchRows = flag.Int("rows", 100000, "rows for the import benchmarks")

// BenchmarkImportPaths imports the same generated file directly, as
// `dispatch import` does, and through the runner, as the console does:
//
//	go test ./imports -run '^$' -bench ImportPaths -benchtime 1x -rows 1000000
func BenchmarkImportPaths(b *testing.B) {
	n := *benchRows
	path := writeFile(b, synthetic.CSV(n))
	ctx := context.Background()
	open := func(b *testing.B) *sqlite.Store {
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	b.Run("cli", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			f := mustOpenFile(b, path)
			b.StartTimer()
			res, err := csvimport.Import(ctx, s, "synthetic.csv", f, subscribers.ImportConfig{List: "bench"})
			if err != nil || res.Added != n {
				b.Fatalf("import: %v, %+v", err, res)
			}
			f.Close()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("console", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			r, err := imports.New(ctx, s, imports.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			id, err := r.Start(ctx, imports.Request{Actor: "bench", FileName: "synthetic.csv", Path: path,
				Import: subscribers.ImportConfig{List: "bench"}})
			if err != nil {
				b.Fatal(err)
			}
			p, err := r.Wait(ctx, id)
			if err != nil || p.Result == nil || p.Result.Added != n {
				b.Fatalf("import: %v, %+v", err, p)
			}
			b.StopTimer()
			r.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

func mustOpenFile(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}
