package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestInConnTx checks that a transaction run by statements ends as a
// database/sql Tx would: committed when fn succeeds, rolled back when fn
// fails or panics and when COMMIT itself fails, with the store's one
// connection back in the pool and outside any transaction each time (the
// next transaction could not begin otherwise).
func TestInConnTx(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	s.db.SetMaxOpenConns(1)
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (id INTEGER PRIMARY KEY,
			parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	insert := func(id int) func(tx queryer) error {
		return func(tx queryer) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO parent (id) VALUES (?)`, id)
			return err
		}
	}
	failed := errors.New("fn failed")
	for _, tc := range []struct {
		name    string
		fn      func(tx queryer) error
		wantErr string // "" for a commit
		panics  bool
	}{
		{name: "commits", fn: insert(1)},
		{name: "fn fails", fn: func(tx queryer) error {
			if err := insert(2)(tx); err != nil {
				return err
			}
			return failed
		}, wantErr: failed.Error()},
		{name: "fn panics", fn: func(tx queryer) error {
			if err := insert(3)(tx); err != nil {
				return err
			}
			panic("fn panicked")
		}, panics: true},
		// The deferred foreign key fails at COMMIT, not at the insert.
		{name: "commit fails", fn: func(tx queryer) error {
			if err := insert(4)(tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO child (id, parent) VALUES (1, 99)`)
			return err
		}, wantErr: "commit: FOREIGN KEY constraint failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						if !tc.panics {
							panic(r)
						}
						err = errors.New("panicked")
					}
				}()
				return s.inConnTx(ctx, tc.fn)
			}()
			switch {
			case tc.panics && (err == nil || err.Error() != "panicked"):
				t.Fatalf("inConnTx = %v; want the panic passed on", err)
			case !tc.panics && tc.wantErr == "" && err != nil:
				t.Fatalf("inConnTx = %v; want a commit", err)
			case !tc.panics && tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("inConnTx = %v; want %q", err, tc.wantErr)
			}
			// The connection is usable and outside any transaction: a
			// next transaction begins and commits on it.
			if err := s.inConnTx(ctx, func(tx queryer) error { return nil }); err != nil {
				t.Fatalf("next transaction: %v", err)
			}
		})
	}
	var ids []int
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM parent UNION ALL SELECT id FROM child ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != 1 {
		t.Errorf("rows stored = %v; want only the committed transaction's [1]", ids)
	}
}
