package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyWithWriteBehindAtEveryStep runs the copy with the real
// write-behind (sync_file_range on the copy's file), started with no delay so that it
// starts a write-out after every step: the copy must still be whole and
// pass the integrity check, and the write-out must have covered the file
// as it was before the last step. The database (4.5 MB) is larger than the
// copy's page cache (2 MB), which spills to the file as the copy goes.
func TestCopyWithWriteBehindAtEveryStep(t *testing.T) {
	ctx := context.Background()
	s, dir := paddedStore(t, 1500, 3000)
	src, err := openRaw(s.Path(), "rw")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "copy.db")
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newWriteBehind(f)
	if w == nil {
		t.Fatal("no write-behind on Linux: /proc/sys/vm/dirty_expire_centisecs unreadable?")
	}
	w.after = 0
	var before int64 // the file's size before the last step
	steps := 0
	err = copyPages(ctx, src, dst, 64, func() error {
		steps++
		st, err := f.Stat()
		if err != nil {
			return err
		}
		before = st.Size()
		return w.step()
	})
	if err != nil {
		t.Fatal(err)
	}
	if steps < 10 {
		t.Fatalf("%d steps; the test needs more", steps)
	}
	if w.done != before || before == 0 {
		t.Errorf("write-behind started %d bytes; want the %d the file had at the last step", w.done, before)
	}
	info, err := CheckBackup(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Integrity != "ok" {
		t.Errorf("integrity %q", info.Integrity)
	}
}
