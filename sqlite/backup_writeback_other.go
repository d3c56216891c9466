//go:build !linux

package sqlite

import "os"

// writeback bounds the dirty pages of a file being written, where
// sync_file_range is missing, by syncing it every 64 MiB.
type writeback struct {
	f      *os.File
	synced int64
}

func (w *writeback) step() error {
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	if st.Size()-w.synced < 64<<20 {
		return nil
	}
	w.synced = st.Size()
	return w.f.Sync()
}

func dropCache(*os.File) {}
