package subscribers_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestSuppressionFileRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	in := []subscribers.Suppression{
		{Email: "a@example.com", Status: subscribers.StatusBounced, Reason: "=HYPERLINK(\"x\")", Actor: "bounce:mail", At: at},
		{Email: "b@example.com", List: "-news", Status: subscribers.StatusUnsubscribed, Reason: "a, \"quoted\"\nreason", At: at},
		{EmailHash: subscribers.SuppressionHash("c@example.com"), Status: subscribers.StatusUnsubscribed, Reason: "removed", At: at, Erased: true},
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"csv":  func(b *bytes.Buffer) error { return subscribers.WriteSuppressionsCSV(b, in) },
		"json": func(b *bytes.Buffer) error { return subscribers.WriteSuppressionsJSON(b, in) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if name == "csv" && strings.Contains(b.String(), ",=HYPERLINK") {
			t.Errorf("csv: a formula cell is not neutralised:\n%s", b.String())
		}
		got, err := subscribers.ReadSuppressions(name, &b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(in) {
			t.Fatalf("%s: read %d entries, want %d", name, len(got), len(in))
		}
		for i := range in {
			want := in[i]
			if !want.Erased {
				want.EmailHash = subscribers.SuppressionHash(want.Email)
			}
			if got[i] != want {
				t.Errorf("%s: entry %d = %+v, want %+v", name, i, got[i], want)
			}
		}
	}
}

func TestReadSuppressionsRefusals(t *testing.T) {
	const head = "email,email_sha256,list,status,reason,actor,at,erased\n"
	for _, c := range []struct{ name, body, want string }{
		{"empty", "", "f: line 1: not a suppression export"},
		{"contacts", "email,name\na@example.com,A\n", "line 1: not a suppression export"},
		{"time", head + "a@example.com,,,bounced,,,yesterday,false\n", "line 2: field at"},
		{"erased flag", head + "a@example.com,,,bounced,,,2026-12-01T10:00:00Z,maybe\n", "line 2: field erased"},
		{"active", head + "a@example.com,,,active,,,2026-12-01T10:00:00Z,false\n", "line 2: field status"},
		{"list bounced", head + "a@example.com,,news,bounced,,,2026-12-01T10:00:00Z,false\n", "a list entry is unsubscribed"},
		{"wrong hash", head + "a@example.com," + strings.Repeat("0", 64) + ",,bounced,,,2026-12-01T10:00:00Z,false\n", "does not match"},
		{"erased with address", head + "a@example.com,,,bounced,,,2026-12-01T10:00:00Z,true\n", "carries neither email nor list"},
		{"erased bad hash", head + ",xyz,,bounced,,,2026-12-01T10:00:00Z,true\n", "field email_sha256"},
		{"json field", `[{"email":"a@example.com","status":"bounced","at":"2026-12-01T10:00:00Z","colour":"red"}]`, "unknown field"},
	} {
		_, err := subscribers.ReadSuppressions("f", strings.NewReader(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}
