package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestDatabaseFilesArePrivate opens a new database under an open umask:
// the file and its -wal and -shm are still readable by the owner only.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddSubscriber(context.Background(), subscribers.AddInput{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o; want 600", filepath.Base(p), m)
		}
	}
}

// TestOpenKeepsAnExistingDatabasesMode leaves a database an admin shared
// with a group as it is.
func TestOpenKeepsAnExistingDatabasesMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("reopened database: mode %v, %v; want 640 kept", st.Mode().Perm(), err)
	}
}

// TestRemoveLeavesNoTraceInTheFile erases a subscriber and then reads the
// raw database and WAL bytes: neither the address, the name nor an
// attribute may survive in a free page.
func TestRemoveLeavesNoTraceInTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	markers := []string{"qzxmarker@example.com", "Qzxmarker Name", "qzxmarker-attribute"}
	// Others around the person, so their pages stay in use after the removal.
	for _, e := range []string{"ada@example.com", "bob@example.com"} {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: markers[0], Name: markers[1],
		Attributes: map[string]any{"note": markers[2]}, Lists: []string{"clients"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "cy@example.com", Lists: []string{"clients"}}); err != nil {
		t.Fatal(err)
	}
	// An import quoted the address in an invalid row.
	imp, err := s.CreateImportRecord(ctx, subscribers.ImportRecord{Actor: "admin", FileName: "crm.csv", List: "clients"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishImportRecord(ctx, imp, subscribers.ImportFinished, &subscribers.ImportResult{Rows: 2, InvalidCount: 2,
		Invalid: []subscribers.InvalidRow{{Line: 2, Value: "mailto:QZXmarker@Example.com", Error: "not an address"},
			{Line: 3, Value: "not-an-address", Error: "missing @"}}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSubscriber(ctx, markers[0], "admin"); err != nil {
		t.Fatal(err)
	}
	var invalid []subscribers.InvalidRow
	s.FindImportInvalidRows(ctx, imp, func(r subscribers.InvalidRow) error { invalid = append(invalid, r); return nil })
	if len(invalid) != 1 || invalid[0].Value != "not-an-address" {
		t.Errorf("invalid import rows after the removal = %+v; want only the other person's", invalid)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	for _, m := range markers {
		if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(m))) {
			t.Errorf("%q is still in the database file after the removal", m)
		}
	}
	if !bytes.Contains(raw, []byte("bob@example.com")) {
		t.Error("the file does not hold the other subscribers either: the scan reads the wrong bytes")
	}
}
