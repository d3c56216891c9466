// Package imports runs contact imports in the background for the console:
// the same subscribers import that `dispatch import` runs, started from a
// request but owned by the server, so that an import goes on when the
// browser tab that started it is closed. It reports live progress (rows,
// rows per second, time left) and records every import in the history
// (who, when, which file, what came of it, and its invalid rows).
//
// Imports run one at a time, in the order they were started: SQLite has a
// single writer, and two imports side by side would only take turns.
//
// The package reaches the database through the small Store interface
// (which the SQLite store satisfies). It must not import the store's
// package, net/http or cmd.
package imports
