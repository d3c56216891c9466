package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestImportRecords(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	first, err := s.CreateImportRecord(ctx, subscribers.ImportRecord{Actor: "ada", FileName: "a.csv", FileSize: 10, List: "news", Mapping: "email=E-mail"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CreateImportRecord(ctx, subscribers.ImportRecord{Actor: "ada", FileName: "b.csv", List: "news", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	res := &subscribers.ImportResult{Rows: 3, Added: 1, InvalidCount: 2, List: "news",
		Invalid: []subscribers.InvalidRow{{Line: 2, Value: "x", Error: "missing @"}, {Line: 4, Value: "y@", Error: "no domain"}}}
	if err := s.FinishImportRecord(ctx, first, subscribers.ImportFinished, res, ""); err != nil {
		t.Fatal(err)
	}
	// Finishing twice is refused: the record is no longer running.
	if err := s.FinishImportRecord(ctx, first, subscribers.ImportFailed, nil, "late"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("second finish: %v; want ErrNotFound", err)
	}

	r, err := s.FindImportRecord(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != subscribers.ImportFinished || r.FileName != "a.csv" || r.Mapping != "email=E-mail" || r.Result == nil ||
		r.Result.Added != 1 || r.Result.InvalidCount != 2 || len(r.Result.Invalid) != 0 || r.FinishedAt.IsZero() {
		t.Errorf("finished record = %+v (result %+v)", r, r.Result)
	}
	var lines []int
	if err := s.FindImportInvalidRows(ctx, first, func(inv subscribers.InvalidRow) error {
		lines = append(lines, inv.Line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 4 {
		t.Errorf("invalid rows at lines %v; want [2 4]", lines)
	}

	// A restart finds the second import still running.
	if n, err := s.InterruptRunningImports(ctx); err != nil || n != 1 {
		t.Fatalf("InterruptRunningImports = %d, %v; want 1", n, err)
	}
	if r, _ := s.FindImportRecord(ctx, second); r.Status != subscribers.ImportInterrupted || r.Error == "" || !r.DryRun {
		t.Errorf("interrupted record = %+v", r)
	}
	all, err := s.FindImportRecords(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != second || all[1].ID != first {
		t.Errorf("FindImportRecords = %d records; want the 2, newest first", len(all))
	}
	if _, err := s.FindImportRecord(ctx, second+100); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("unknown record: %v; want ErrNotFound", err)
	}
}
