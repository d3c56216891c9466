//go:build !linux

package sqlite

import (
	"context"
	"os"
	"time"
)

// writeOut, where sync_file_range is missing, leaves the writing to the
// final fsync, and only keeps to the cap.
func writeOut(ctx context.Context, f *os.File, rate int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return pace(ctx, st.Size(), time.Now(), rate)
}

func dropCache(*os.File) {}

func startWriteOut(*os.File, int64, int64) error { return nil }

// dirtyExpiry is unknown here: no write-behind.
func dirtyExpiry() (time.Duration, bool) { return 0, false }
