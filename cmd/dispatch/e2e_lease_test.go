package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestEndToEndLeaseRefusesASecondSender runs two real `dispatch send`
// processes on one campaign: the second refuses, says where the campaign
// runs and how to watch it; `campaigns watch` follows the first; and once
// the first is killed, its lease is taken over at once by the next send,
// which completes the campaign.
func TestEndToEndLeaseRefusesASecondSender(t *testing.T) {
	const n = 60
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	// Slow enough that the first send is still running (at least 15 s)
	// when watch and the second send, two more processes, have started
	// on a loaded machine; it is killed long before it ends.
	e.srv.SetDelay(time.Second)
	first := exec.Command(dispatchBin, "send", e.issue, "--list", "clients", "--yes")
	first.Dir, first.Env = e.dir, cleanEnv()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Process.Kill() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 4); err != nil {
		t.Fatal(err)
	}

	watch := exec.Command(dispatchBin, "campaigns", "watch", "1", "--every", "100ms")
	watch.Dir, watch.Env = e.dir, cleanEnv()
	pipe, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var watchErrs bytes.Buffer
	watch.Stderr = &watchErrs
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watch.Process.Kill() })
	// Wait for watch to see the campaign running before anything changes.
	lines := bufio.NewScanner(pipe)
	var watched strings.Builder
	for lines.Scan() {
		watched.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "running in `dispatch send`") {
			break
		}
	}

	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	where := fmt.Sprintf("campaign 1 is running in `dispatch send` (pid %d on ", first.Process.Pid)
	if r.code != 1 || !strings.Contains(r.stderr, where) || !strings.Contains(r.stderr, "dispatch campaigns watch 1") {
		t.Fatalf("second send: exit %d\n%s\nwant 1, %q and the watch command", r.code, r.stderr, where)
	}

	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	for lines.Scan() {
		watched.WriteString(lines.Text() + "\n")
	}
	watchErr := watch.Wait()
	if got := watched.String() + watchErrs.String(); watchErr == nil || !strings.Contains(got, "running in `dispatch send`") ||
		!strings.Contains(got, "no process is sending campaign 1") {
		t.Errorf("watch: %v\n%s\nwant the running campaign, then a non-zero exit saying no one sends it", watchErr, got)
	}

	e.srv.SetDelay(0)
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 0 || !strings.Contains(r.stderr, "Resuming campaign 1") {
		t.Fatalf("send after the first was killed: exit %d\n%s\nwant the lease taken over and the campaign resumed", r.code, r.stderr)
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Status != "finished" || cs[0].Sent != n {
		t.Errorf("campaign %+v; want finished with %d sent", cs[0], n)
	}
	r = dispatch(t, e.dir, "campaigns", "watch", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "campaign 1 finished") {
		t.Errorf("watch of a finished campaign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
