package bounce_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

// FuzzParse checks that Parse never panics and that whatever it returns
// keeps the Result invariants callers rely on.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{
		"",
		"From: a\n\n",
		"Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.1.1\n--x--\n",
		"Content-Type: multipart/mixed\n\n--a\n\n--a\n--a--",
		"Subject: failure notice\n\n<a@b.example>:\n550 5.1.1 x\n",
		"Content-Type: text/plain\n\n{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":",
	} {
		f.Add([]byte(s))
	}
	valid := map[bounce.Type]bool{
		bounce.TypeBounce: true, bounce.TypeComplaint: true, bounce.TypeAutoReply: true,
		bounce.TypeNone: true,
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := bounce.Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if res == nil || res.Recipients == nil {
			t.Fatalf("Parse returned %v with a nil result or recipients", res)
		}
		if !valid[res.Type] {
			t.Fatalf("Parse returned type %q", res.Type)
		}
		for _, r := range res.Recipients {
			if r.Hard != bounce.IsHard(r.Reason) && r.Reason != bounce.ReasonSuspend {
				t.Fatalf("recipient %+v: Hard disagrees with its reason", r)
			}
		}
	})
}
