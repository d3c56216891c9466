package imports_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeFile(t testing.TB, r io.Reader) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "upload.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunnerRecordsTheImport(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	r, err := imports.New(ctx, s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := writeFile(t, strings.NewReader("\ufeffCourriel;Nom;Société\nada@example.com;Ada;Engines\nnot-an-address;Bob;\nada@example.com;Ada again;\ngrace@example.com;Grace;Navy\n"))
	mp, _ := subscribers.ParseMapping("email=Courriel,name=Nom,attr:company=Société")

	// The request's context ends at once, as when the tab is closed: the
	// import goes on.
	reqCtx, cancel := context.WithCancel(ctx)
	id, err := r.Start(reqCtx, imports.Request{Actor: "console:admin@firm.example", FileName: "clients.csv", Path: path,
		Import: subscribers.ImportConfig{List: "clients", Mapping: mp, Source: "import:clients.csv"}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != subscribers.ImportFinished || p.Result == nil || p.Result.Added != 2 || p.Result.Duplicates != 1 ||
		p.Result.InvalidCount != 1 || p.Rows != 4 || p.Percent != 100 {
		t.Fatalf("progress = %+v (result %+v); want finished, 4 rows, 2 added, 1 duplicate, 1 invalid", p, p.Result)
	}

	rec, err := s.FindImportRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Actor != "console:admin@firm.example" || rec.FileName != "clients.csv" || rec.List != "clients" ||
		rec.Status != subscribers.ImportFinished || rec.Result == nil || rec.Result.Added != 2 || rec.FileSize == 0 ||
		rec.Mapping != mp.String() || rec.FinishedAt.IsZero() {
		t.Errorf("history record = %+v", rec)
	}
	var invalid []subscribers.InvalidRow
	s.FindImportInvalidRows(ctx, id, func(r subscribers.InvalidRow) error { invalid = append(invalid, r); return nil })
	if len(invalid) != 1 || invalid[0].Line != 3 || invalid[0].Value != "not-an-address" || invalid[0].Error == "" {
		t.Errorf("invalid rows = %+v; want not-an-address on line 3", invalid)
	}
	ada, err := s.FindSubscriberByEmail(ctx, "ada@example.com")
	if err != nil || ada.Name != "Ada" || ada.Attributes["company"] != "Engines" {
		t.Errorf("ada = %+v, %v", ada, err)
	}
	if events, _ := s.Events(ctx, ada.ID); len(events) == 0 || events[0].Actor != "console:admin@firm.example" {
		t.Errorf("ada's events = %+v; want them by the admin who started the import", events)
	}
	list, err := s.FindImportRecords(ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("history = %+v, %v", list, err)
	}
}

func TestRunnerRecordsAFailedImport(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	r, err := imports.New(ctx, s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := writeFile(t, strings.NewReader("Name,Company\nAda,Engines\n"))
	id, err := r.Start(ctx, imports.Request{Actor: "a", FileName: "x.csv", Path: path, Import: subscribers.ImportConfig{List: "clients"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := r.Wait(ctx, id)
	if p.State != subscribers.ImportFailed || !strings.Contains(p.Err, "no email column") {
		t.Errorf("progress = %+v; want failed, no email column", p)
	}
	rec, _ := s.FindImportRecord(ctx, id)
	if rec.Status != subscribers.ImportFailed || !strings.Contains(rec.Error, "no email column") {
		t.Errorf("record = %+v", rec)
	}
	if _, err := s.FindListByName(ctx, "clients"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("a failed import created its list: %v", err)
	}
}

// TestRunnerCloseInterrupts stops the server in the middle of a large
// import: the history says interrupted, with the rows imported so far, and
// a new runner (the next process) finds nothing left running.
func TestRunnerCloseInterrupts(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	r, err := imports.New(ctx, s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, synthetic.CSV(300000))
	id, err := r.Start(ctx, imports.Request{Actor: "a", FileName: "big.csv", Path: path,
		Import: subscribers.ImportConfig{List: "big", BatchSize: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the first committed batch, then stop.
	for {
		p, _ := r.Progress(id)
		if p.Rows > 0 {
			break
		}
		if p.Done() {
			t.Fatalf("import ended before it could be interrupted: %+v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Close()
	p, _ := r.Progress(id)
	rec, err := s.FindImportRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != subscribers.ImportInterrupted || rec.Status != subscribers.ImportInterrupted || rec.Result == nil ||
		rec.Result.Rows == 0 || rec.Result.Rows >= 300000 {
		t.Fatalf("after Close: progress %+v, record %+v; want interrupted part-way", p, rec)
	}
	if _, err := r.Start(ctx, imports.Request{Path: path}); err == nil {
		t.Error("a closed runner started an import")
	}
	r2, err := imports.New(ctx, s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if n, _ := s.InterruptRunningImports(ctx); n != 0 {
		t.Errorf("%d imports still running after a restart", n)
	}
}
