package imports_test

import (
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/dispatchhq/dispatch/imports"
)

func TestSpool(t *testing.T) {
	sp, err := imports.NewSpool(t.TempDir(), 10)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sp.Save(strings.NewReader("email\na@b.c\n"), `C:\Users\me\clients.csv`, "alice")
	if err == nil {
		t.Fatalf("a 12-byte file passed a 10-byte limit: %+v", u)
	}
	if err != imports.ErrTooLarge {
		t.Errorf("over the limit: %v; want ErrTooLarge", err)
	}
	_, err = sp.Save(io.MultiReader(strings.NewReader("email"), iotest.ErrReader(io.ErrUnexpectedEOF)), "x.csv", "alice")
	if err != imports.ErrTruncated {
		t.Errorf("cut off: %v; want ErrTruncated", err)
	}
	u, err = sp.Save(strings.NewReader("email\n"), `C:\Users\me\clients.csv`, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "clients.csv" || u.Size != 6 {
		t.Errorf("upload = %+v", u)
	}
	if got, err := sp.Find(u.ID, "alice"); err != nil || got.Path != u.Path {
		t.Errorf("Find own upload = %+v, %v", got, err)
	}
	for _, tc := range []struct{ id, owner string }{{u.ID, "mallory"}, {"../../etc/passwd", "alice"}, {strings.Repeat("0", 32), "alice"}} {
		if _, err := sp.Find(tc.id, tc.owner); err == nil {
			t.Errorf("Find(%q, %q) succeeded", tc.id, tc.owner)
		}
	}
	entries, _ := os.ReadDir(sp.Dir())
	if len(entries) != 2 {
		t.Errorf("%d files in the spool; want the one upload and its metadata (refused uploads leave nothing)", len(entries))
	}
	sp.Remove(u.ID)
	if _, err := sp.Find(u.ID, "alice"); err == nil {
		t.Error("a removed upload was found")
	}
}
