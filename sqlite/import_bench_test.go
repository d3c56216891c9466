package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// BenchmarkImport imports generated rows into a fresh database per
// iteration. Run the full-size case with:
//
//	go test ./sqlite -run '^$' -bench Import -benchtime 1x -rows 1000000
func BenchmarkImport(b *testing.B) {
	n := benchRows
	for b.Loop() {
		b.StopTimer()
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := csvimport.Import(context.Background(), s, "synthetic.csv", synthetic.CSV(n), subscribers.ImportConfig{List: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if res.Added != n {
			b.Fatalf("added %d of %d", res.Added, n)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MB")
	}
}

// peakRSS returns the process's peak resident set in KiB (Linux only).
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				v, _ := strconv.ParseInt(f[1], 10, 64)
				return v
			}
		}
	}
	return 0
}
