package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dispatchhq/dispatch/internal/loadtest"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestDataVersion: the number stays while nothing is committed, and
// changes after a commit by this store or by another one on the same file
// (the CLI beside `dispatch serve`).
func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	version := func() int64 {
		t.Helper()
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := version()
	if _, err := s.FindLists(ctx); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != v0 {
		t.Errorf("version moved from %d to %d after a read", v0, v)
	}
	if _, err := s.CreateList(ctx, subscribers.NewList{Name: "briefing"}); err != nil {
		t.Fatal(err)
	}
	v1 := version()
	if v1 == v0 {
		t.Errorf("version still %d after this store committed", v1)
	}
	pub := subscribers.Public
	if _, err := other.UpdateList(ctx, "briefing", subscribers.ListUpdate{Visibility: &pub}); err != nil {
		t.Fatal(err)
	}
	if v := version(); v == v1 {
		t.Errorf("version still %d after another store committed", v)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DataVersion(ctx); err == nil {
		t.Error("DataVersion of a closed store: no error")
	}
}

// BenchmarkDataVersion is what the archive pays on every request.
func BenchmarkDataVersion(b *testing.B) {
	s := mustOpen(b)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := loadtest.ProcessCPU()
	for b.Loop() {
		if _, err := s.DataVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, steadier than wall time on a shared machine.
	b.ReportMetric(float64((loadtest.ProcessCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
