package inbox_test

import (
	"bytes"
	"testing"
)

// BenchmarkProcessHardBounce measures one VERP-attributed DSN end to end:
// classify, verify the token, find the delivery, record the bounce in
// SQLite. Every message has its own Message-ID, so every iteration writes.
func BenchmarkProcessHardBounce(b *testing.B) {
	e := newEnv(b)
	v := e.vars("ada@example.net")
	v["N"] = "@N@"
	tmpl := fixture(b, "postfix-hard.eml", v)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		raw := bytes.ReplaceAll(tmpl, []byte("@N@"), []byte(itoa(i)))
		o, err := e.proc.Process(e.ctx, raw, "bench")
		if err != nil || o.Duplicate {
			b.Fatalf("Process = %+v, %v", o, err)
		}
	}
}

// BenchmarkProcessDuplicate measures re-reading a mailbox: the message is
// classified and attributed, and the store finds its key.
func BenchmarkProcessDuplicate(b *testing.B) {
	e := newEnv(b)
	raw := fixture(b, "postfix-hard.eml", e.vars("ada@example.net"))
	e.process(raw)
	b.ReportAllocs()
	for b.Loop() {
		if o, err := e.proc.Process(e.ctx, raw, "bench"); err != nil || !o.Duplicate {
			b.Fatalf("Process = %+v, %v", o, err)
		}
	}
}
