package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// PreMigrationBackupPath is where Open keeps the copy of a database it is
// about to upgrade: beside it, named after the first migration to run
// (dispatch.db.pre-0009.bak).
func PreMigrationBackupPath(dbPath, migration string) string {
	num, _, _ := strings.Cut(migration, "_")
	return dbPath + ".pre-" + num + ".bak"
}

// backupBeforeMigrating copies an existing database before the first of
// its pending migrations runs, so a failed or unwanted upgrade can be
// rolled back by putting the copy in place and running the older binary.
// A new database has nothing to lose and gets no copy.
func (s *Store) backupBeforeMigrating(ctx context.Context, names []string, applied map[string]bool) error {
	if len(applied) == 0 || s.path == ":memory:" || strings.HasPrefix(s.path, "file:") {
		return nil
	}
	first := ""
	for _, name := range names {
		if base := strings.TrimPrefix(name, "migrations/"); !applied[base] {
			first = base
			break
		}
	}
	if first == "" {
		return nil
	}
	dst := PreMigrationBackupPath(s.path, first)
	// An earlier copy under that name is the older, truer state (say an
	// upgrade that failed half way): keep it, and write this one beside it.
	if _, err := os.Stat(dst); err == nil {
		dst = strings.TrimSuffix(dst, ".bak") + "." + s.now().Format("20060102T150405Z") + ".bak"
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("back up before migration %s: %w", first, err)
	}
	// Nothing else runs during a migration: the copy goes at full speed.
	if _, err := copyInto(ctx, s.db, s.path, dst, BackupOptions{}); err != nil {
		return fmt.Errorf("back up before migration %s to %s: %w", first, dst, err)
	}
	return nil
}
