package sqlite

import "database/sql"

// DB exposes the store's handle to this package's black-box tests, which
// check what only SQL can see (pragmas, triggers, raw rows). Nothing
// outside package sqlite gets it.
func DB(s *Store) *sql.DB { return s.db }
