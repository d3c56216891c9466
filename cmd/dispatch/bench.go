package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Dispatch on this machine",
	}
	var rows int
	var keep bool
	imp := &cobra.Command{
		Use:     "import",
		Short:   "Import generated contacts into a scratch database and report rows/s and peak memory",
		Example: `  dispatch bench import --rows 1000000`,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "dispatch-bench-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			path := filepath.Join(dir, "bench.db")
			s, err := sqlite.Open(cmd.Context(), path)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := csvimport.Import(cmd.Context(), s, "generated.csv", synthetic.CSV(rows), subscribers.ImportConfig{List: "bench"})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "imported %d rows in %.2fs: %.0f rows/s\n", res.Added, res.Seconds, float64(res.Added)/res.Seconds)
			fmt.Fprintf(a.stdout, "peak RSS %.1f MB (GOMAXPROCS %d)\n", float64(peakRSSKB())/1024, runtime.GOMAXPROCS(0))
			if keep {
				fmt.Fprintf(a.stdout, "database kept at %s\n", path)
			}
			return nil
		},
	}
	imp.Flags().IntVar(&rows, "rows", 1000000, "rows to generate")
	imp.Flags().BoolVar(&keep, "keep", false, "keep the scratch database")
	cmd.AddCommand(imp)
	return cmd
}

// peakRSSKB reads the process's peak resident set size (Linux).
func peakRSSKB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}
