package main

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// startServeEnv runs `dispatch serve` in dir listening on addr, and waits
// until it answers.
func startServeEnv(t *testing.T, dir, addr string) *exec.Cmd {
	t.Helper()
	serve := exec.Command(dispatchBin, "serve")
	// The console is not under test here; its default port may be taken.
	serve.Dir, serve.Env = dir, append(cleanEnv(), "DISPATCH_WEB_LISTEN="+addr, "DISPATCH_ADMIN_ENABLED=false")
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	})
	waitHTTP(t, "http://"+addr+"/healthz")
	return serve
}

// TestEndToEndServeRunnerSurvivesSIGKILL schedules a 5,000-recipient
// campaign, lets `dispatch serve` start it, refuses a `dispatch send` of
// it meanwhile, kills serve with SIGKILL mid-send and starts it again: the
// campaign completes with no one missing, and the duplicates are at most
// sending.concurrency and all reported.
func TestEndToEndServeRunnerSurvivesSIGKILL(t *testing.T) {
	const n = 5000
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	e.srv.SetDelay(time.Millisecond)
	addr := freeAddr(t)
	at := time.Now().UTC().Format("2006-01-02 15:04:05")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--at", at, "--tz", "UTC")
	if r.code != 0 || !strings.Contains(r.stdout, "Scheduled campaign 1") || !strings.Contains(r.stdout, "No `dispatch serve` is running now") {
		t.Fatalf("send --at: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Status != "scheduled" || cs[0].Recipients != 0 {
		t.Fatalf("campaign before serve: %+v; want scheduled, no deliveries yet", cs[0])
	}

	first := startServeEnv(t, e.dir, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 500); err != nil {
		t.Fatal(err)
	}
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "campaign 1 is running in `dispatch serve`") || !strings.Contains(r.stderr, "dispatch campaigns watch 1") {
		t.Errorf("send while serve runs the campaign: exit %d\n%s\nwant a refusal naming serve and the watch command", r.code, r.stderr)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	before := len(e.srv.Messages())
	if before >= n {
		t.Fatalf("the campaign finished (%d messages) before serve could be killed", before)
	}

	startServeEnv(t, e.dir, addr)
	for {
		cs := campaignsJSON(t, e.dir)
		if cs[0].Status == "finished" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("campaign not finished after the restart: %+v (%d messages)", cs[0], len(e.srv.Messages()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	counts := map[string]int{}
	for _, m := range e.srv.Messages() {
		counts[m.To[0]]++
	}
	dups := 0
	for _, c := range counts {
		dups += c - 1
	}
	cs := campaignsJSON(t, e.dir)
	t.Logf("killed after %d of %d messages; %d duplicates, %d reported", before, n, dups, cs[0].PossibleDuplicates)
	if len(counts) != n || cs[0].Sent != n {
		t.Errorf("%d recipients reached, %d sent in the ledger; want all %d", len(counts), cs[0].Sent, n)
	}
	if dups > 2 || dups > cs[0].PossibleDuplicates || cs[0].PossibleDuplicates > 2 {
		t.Errorf("%d duplicates, %d reported; want at most 2 (sending.concurrency), all reported", dups, cs[0].PossibleDuplicates)
	}
	r = dispatch(t, e.dir, "campaigns", "watch", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "campaign 1 finished") {
		t.Errorf("watch: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEndToEndScheduledCampaignCancelled: a scheduled campaign shows in
// `campaigns` with its time, and cancelling it before it starts leaves no
// delivery behind, even with `dispatch serve` running.
func TestEndToEndScheduledCampaignCancelled(t *testing.T) {
	e := newSendEnv(t, 5, "")
	at := time.Now().Add(48 * time.Hour).In(mustZone(t, "Europe/Paris")).Format("2006-01-02 15:04")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--at", at, "--tz", "Europe/Paris")
	if r.code != 0 {
		t.Fatalf("send --at: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, e.dir, "campaigns")
	if !strings.Contains(r.stdout, "scheduled") || !strings.Contains(r.stdout, "at "+at) || !strings.Contains(r.stdout, "(Europe/Paris)") {
		t.Errorf("campaigns:\n%s\nwant the campaign scheduled at %s (Europe/Paris)", r.stdout, at)
	}
	startServeEnv(t, e.dir, freeAddr(t))
	r = dispatch(t, e.dir, "campaigns", "cancel", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "Cancelled campaign 1: 0 deliveries not sent") {
		t.Errorf("cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Status != "cancelled" || cs[0].Recipients != 0 || cs[0].Sent != 0 {
		t.Errorf("campaign after cancel: %+v; want cancelled with no deliveries", cs[0])
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Errorf("%d messages sent; want none", n)
	}
	for _, tc := range []struct{ at, tz, want string }{
		{at: "2020-01-01 09:00", tz: "UTC", want: "is in the past"},
		{at: "tomorrow", tz: "UTC", want: `want a date and time like "2026-12-08 09:00"`},
		{at: at, tz: "Mars/Olympus", want: "not a time zone"},
	} {
		r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--new", "--at", tc.at, "--tz", tc.tz)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("send --at %q --tz %q: exit %d %s; want 2 and %q", tc.at, tc.tz, r.code, r.stderr, tc.want)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal("no time zone database:", err)
	}
	return loc
}
