package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/subscribers"
)

// mboxVars fills testdata/bounces.mbox: a hard bounce for ada, an
// auto-reply from hal and a complaint about fay.
func mboxVars(e *env) map[string]string {
	ada, hal, fay := e.vars("ada@example.net"), e.vars("hal@example.net"), e.vars("fay@example.net")
	return map[string]string{
		"VERP1": ada["VERP"], "EMAIL1": ada["EMAIL"], "MSGID1": ada["MSGID"],
		"VERP2": hal["VERP"], "EMAIL2": hal["EMAIL"],
		"EMAIL3": fay["EMAIL"], "MSGID3": fay["MSGID"],
	}
}

func TestProcessMbox(t *testing.T) {
	e := newEnv(t)
	raw := fixture(t, "bounces.mbox", mboxVars(e))
	if !bytes.Contains(raw, []byte("\n>From here on")) {
		t.Fatal("fixture lost its escaped From line")
	}
	var sources []string
	sum, err := e.proc.ProcessMbox(e.ctx, bytes.NewReader(raw), func(o inbox.Outcome) { sources = append(sources, o.Source) })
	if err != nil {
		t.Fatal(err)
	}
	// Three messages: the escaped ">From" lines split nothing.
	if want := (inbox.Summary{Messages: 3, Bounces: 1, AutoReplies: 1, Complaints: 1}); sum != want {
		t.Errorf("summary = %+v; want %+v", sum, want)
	}
	if want := []string{"mbox#1", "mbox#2", "mbox#3"}; !slices.Equal(sources, want) {
		t.Errorf("sources = %q; want %q", sources, want)
	}
	if got := e.status("ada@example.net"); got != subscribers.StatusBounced {
		t.Errorf("ada = %s; want bounced", got)
	}
	if got := e.status("fay@example.net"); got != subscribers.StatusComplained {
		t.Errorf("fay = %s; want complained", got)
	}

	again, err := e.proc.ProcessMbox(e.ctx, bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.Summary{Messages: 3, Duplicates: 2, AutoReplies: 1}); again != want {
		t.Errorf("second run = %+v; want %+v", again, want)
	}
	if n := e.countBounces(); n != 2 {
		t.Errorf("%d bounce rows after two runs; want 2", n)
	}
}

func TestProcessMboxStopsWhenCancelled(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	sum, err := e.proc.ProcessMbox(ctx, bytes.NewReader(fixture(t, "bounces.mbox", mboxVars(e))), nil)
	if !errors.Is(err, context.Canceled) || sum.Messages != 0 {
		t.Errorf("ProcessMbox(cancelled) = %+v, %v; want nothing done, context.Canceled", sum, err)
	}
}

func TestProcessMaildir(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("new/1773655200.M1P1.mx", fixture(t, "postfix-hard.eml", e.vars("ada@example.net")))
	write("new/1773655201.M2P1.mx", fixture(t, "mailto-unsubscribe.eml", e.vars("gus@example.net")))
	// Some delivery agents leave an mbox "From " line at the top.
	write("cur/1773655202.M3P1.mx:2,S", append([]byte("From MAILER-DAEMON Mon Mar 16 10:00:00 2026\n"),
		fixture(t, "arf-abuse.eml", e.vars("fay@example.net"))...))
	// Still being delivered, and maildir++ state: not messages.
	write("tmp/1773655203.M4P1.mx", fixture(t, "postfix-hard.eml", e.vars("bob@example.net")))
	write("cur/.dovecot-uidlist", []byte("3 V1 N4\n"))

	var got []string
	sum, err := e.proc.ProcessMaildir(e.ctx, dir, func(o inbox.Outcome) { got = append(got, filepath.Base(o.Source)) })
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.Summary{Messages: 3, Bounces: 1, Unsubscribes: 1, Complaints: 1}); sum != want {
		t.Errorf("summary = %+v; want %+v", sum, want)
	}
	if want := []string{"1773655200.M1P1.mx", "1773655201.M2P1.mx", "1773655202.M3P1.mx:2,S"}; !slices.Equal(got, want) {
		t.Errorf("processed %q; want %q", got, want)
	}
	if got := e.status("bob@example.net"); got != subscribers.StatusActive {
		t.Errorf("bob (tmp/) = %s; want active", got)
	}
	again, err := e.proc.ProcessMaildir(e.ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.Summary{Messages: 3, Duplicates: 3}); again != want {
		t.Errorf("second run = %+v; want %+v", again, want)
	}

	if _, err := e.proc.ProcessMaildir(e.ctx, t.TempDir(), nil); err == nil {
		t.Error("ProcessMaildir(empty dir) = nil error; want not a maildir")
	}
}

func TestProcessFiles(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	eml := filepath.Join(dir, "bounce.eml")
	mbox := filepath.Join(dir, "more.mbox")
	if err := os.WriteFile(eml, fixture(t, "exchange-hard.eml", e.vars("bob@example.net")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mbox, fixture(t, "bounces.mbox", mboxVars(e)), 0o644); err != nil {
		t.Fatal(err)
	}
	var failed []string
	sum, err := e.proc.ProcessFiles(e.ctx, []string{eml, filepath.Join(dir, "missing.eml"), mbox}, func(o inbox.Outcome) {
		if o.Error != "" {
			failed = append(failed, filepath.Base(o.Source))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.Summary{Messages: 5, Bounces: 2, AutoReplies: 1, Complaints: 1, Errors: 1}); sum != want {
		t.Errorf("summary = %+v; want %+v", sum, want)
	}
	if want := []string{"missing.eml"}; !slices.Equal(failed, want) {
		t.Errorf("failed = %q; want %q", failed, want)
	}
	if got := e.status("bob@example.net"); got != subscribers.StatusBounced {
		t.Errorf("bob = %s; want bounced", got)
	}
}
