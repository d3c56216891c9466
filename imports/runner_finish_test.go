package imports_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// flakyFinish is the real store, whose FinishImportRecord first answers
// with the errors in errs, one per call, before it does its work: a
// database busy with a long write elsewhere, or a record gone.
type flakyFinish struct {
	*sqlite.Store
	mu    sync.Mutex
	errs  []error
	calls int
}

func (f *flakyFinish) FinishImportRecord(ctx context.Context, id int64, status subscribers.ImportStatus, res *subscribers.ImportResult, errText string) error {
	f.mu.Lock()
	f.calls++
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.Store.FinishImportRecord(ctx, id, status, res, errText)
}

// TestRunnerRetriesRecordingTheEnd: the end of an import is recorded even
// if the database refuses the first tries, so that the history does not
// show it running forever; a record that is gone is not tried again.
func TestRunnerRetriesRecordingTheEnd(t *testing.T) {
	busy := errors.New("record import result: database is locked")
	gone := fmt.Errorf("import 1: %w (or already finished)", subscribers.ErrNotFound)
	for _, tc := range []struct {
		name      string
		errs      []error
		calls     int
		wantState subscribers.ImportStatus // in the history
	}{
		{name: "busy twice", errs: []error{busy, busy}, calls: 3, wantState: subscribers.ImportFinished},
		{name: "record gone", errs: []error{gone}, calls: 1, wantState: subscribers.ImportRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := &flakyFinish{Store: openStore(t), errs: tc.errs}
			r, err := imports.New(ctx, s, imports.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			path := writeFile(t, strings.NewReader("email\nada@example.com\n"))
			id, err := r.Start(ctx, imports.Request{Actor: "console:admin@firm.example", FileName: "clients.csv", Path: path,
				Import: subscribers.ImportConfig{List: "clients", Source: "import:clients.csv"}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.State != subscribers.ImportFinished || p.Result == nil || p.Result.Added != 1 {
				t.Fatalf("progress = %+v; want finished with 1 added", p)
			}
			s.mu.Lock()
			calls := s.calls
			s.mu.Unlock()
			if calls != tc.calls {
				t.Errorf("FinishImportRecord called %d times; want %d", calls, tc.calls)
			}
			rec, err := s.FindImportRecord(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != tc.wantState {
				t.Errorf("history says %s; want %s", rec.Status, tc.wantState)
			}
		})
	}
}
