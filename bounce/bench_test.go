package bounce_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

// BenchmarkParseCorpus parses every message of the conformance corpus (or
// of testdata when the corpus is absent) per iteration and reports msgs/s.
func BenchmarkParseCorpus(b *testing.B) {
	msgs := benchMessages(b)
	var bytes int64
	for _, m := range msgs {
		bytes += int64(len(m))
	}
	b.SetBytes(bytes) // per iteration: the whole set
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, m := range msgs {
			if _, err := bounce.ParseBytes(m); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func benchMessages(b *testing.B) [][]byte {
	cases, err := loadCorpus(b)
	if err == nil {
		msgs := make([][]byte, len(cases))
		for i, c := range cases {
			msgs[i] = c.raw
		}
		return msgs
	}
	if !errors.Is(err, fs.ErrNotExist) {
		b.Fatalf("load corpus: %v", err)
	}
	paths, _ := filepath.Glob("testdata/*.eml")
	if len(paths) == 0 {
		b.Fatal("no corpus and no testdata/*.eml")
	}
	msgs := make([][]byte, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	return msgs
}
