package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

var (
	benchBackupSubs  = flag.Int("backup-subscribers", 1000000, "BenchmarkBackupDuringSend: subscribers in the database")
	benchBackupLists = flag.Int("backup-lists", 5, "BenchmarkBackupDuringSend: lists every subscriber is on (1 created + 1 subscribed event per list each)")
	benchBackupSend  = flag.Int("backup-send", 20000, "BenchmarkBackupDuringSend: recipients of the campaign")
	benchBackupCap   = flag.Int("backup-cap", 0, "BenchmarkBackupDuringSend: backup.max_mb_per_s of the backup (0: no cap)")
	benchBackupBusy  = flag.Int("backup-busy", -1, "BenchmarkBackupDuringSend: backup.busy_mb_per_s of the backup (0: no cap; -1: the default)")
	benchBackupDB    = flag.String("backup-db", "", "BenchmarkBackupDuringSend: reuse (or, when missing, build and keep) the database here")
	benchBackupHold  = flag.Duration("backup-hold", 0, "BenchmarkBackupDuringSend: instead of the backup, only hold a read transaction open this long (what the backup's snapshot alone costs the send)")
)

const benchSecret = "backup-bench-secret-7d41c9a2e85f3b60"

// BenchmarkBackupDuringSend is issue 17's speed check, with real parts: a
// database of -backup-subscribers subscribers on -backup-lists lists
// (5M events at the defaults, as issue 17 asks), `dispatch serve` answering one-click
// POSTs, and `dispatch send` of -backup-send messages to an SMTP server on
// 127.0.0.1. It sends once alone, once while `dispatch backup` runs and
// once alone again, and reports the send rates (the drop is against the
// mean of the two sends alone: a shared machine's load drifts), the
// backup's time, size and CPU second by second, and one-click latencies
// during the backup. Run it alone, on a quiet machine (-v prints every
// log line):
//
//	go test ./cmd/dispatch -run '^$' -bench BackupDuringSend -benchtime 1x -timeout 60m -v -backup-db /tmp/bench-1m.db
//
// With -backup-hold D it runs no backup: it holds a read transaction open
// for D instead, as the backup's copy does, so that what the snapshot
// alone costs the send (the WAL grows behind it) can be told apart from
// what the copy's work costs. -backup-busy N and -backup-cap N set the
// backup's backup.busy_mb_per_s and backup.max_mb_per_s.
func BenchmarkBackupDuringSend(b *testing.B) {
	dir := b.TempDir()
	srv := smtptest.NewServer(b, smtptest.DiscardBodies())
	addr := freeAddr(b)
	cfg := fmt.Sprintf(`smtp:
  host: 127.0.0.1
  port: %d
  tls: none
sending:
  rate: 0
  concurrency: 4
sender:
  from: "Briefing <briefing@example.com>"
  bounce_address: bounces@example.com
  postal_address: "1 Test Street, Testville"
web:
  base_url: http://%s
  listen: %s
  secret: %s
  one_click_rate_limit: 0
  rate_limit: 0
backup:
  max_mb_per_s: %d
`, srv.Port(), addr, addr, benchSecret, *benchBackupCap)
	if *benchBackupBusy >= 0 {
		cfg += fmt.Sprintf("  busy_mb_per_s: %d\n", *benchBackupBusy)
	}
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(dir, "dispatch.db")
	benchDatabase(b, dir, db)
	// The copy and its migration leave up to 1.6 GB of dirty pages, which
	// the kernel writes back 30 s later, in the middle of the first send.
	syscall.Sync()

	start := time.Now()
	serve := exec.Command(dispatchBin, "serve")
	serve.Dir, serve.Env = dir, cleanEnv()
	if err := serve.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	waitHTTP(b, "http://"+addr+"/healthz")
	b.Logf("serve up in %s", time.Since(start).Round(time.Millisecond))

	tokens, err := subscribers.NewTokens(benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	// One-click from list 1 ("all0") for subscribers not in the campaign.
	next := *benchBackupSend + 1
	link := func() string {
		next++
		return subscribers.UnsubscribeURL("http://"+addr, tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: int64(next), ListID: 1}))
	}

	b.ResetTimer()
	for range b.N {
		alone := benchSend(b, dir, srv, "alone", link, nil)
		var bk backupJSON
		var bkStart, bkEnd time.Time
		var bkCPU time.Duration
		var dirty, wal int64
		var bkProfile string
		during := benchSend(b, dir, srv, "during", link, func() {
			stop := samplePeaks(db+"-wal", &dirty, &wal)
			bkStart = time.Now()
			if *benchBackupHold > 0 {
				release := sqlitetest.HoldSnapshot(b, db)
				time.Sleep(*benchBackupHold)
				release()
				bk.Seconds, bkEnd = benchBackupHold.Seconds(), time.Now()
				stop()
				return
			}
			cmd := exec.Command(dispatchBin, "backup", filepath.Join(dir, "backup.db"), "--json")
			cmd.Dir, cmd.Env = dir, cleanEnv()
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			stopWatch := watchProcess(cmd.Process.Pid)
			err := cmd.Wait()
			bkProfile = stopWatch()
			code := 0
			if err != nil {
				code = -1
			}
			bk = parseBackup(b, result{stdout: out.String(), stderr: errb.String(), code: code})
			bkEnd = time.Now()
			stop()
			bkCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		})
		os.Remove(filepath.Join(dir, "backup.db"))
		inBackup := during.latencies(bkStart, bkEnd)
		// A send alone after the backup too: the machine is shared and its
		// load drifts, so the send during the backup is compared with the
		// mean of one before and one after it.
		after := benchSend(b, dir, srv, "after", link, nil)
		aloneRate := (alone.rate + after.rate) / 2
		drop := 100 * (1 - during.rate/aloneRate)
		b.ReportMetric(aloneRate, "msg/s-alone")
		// How far the two sends alone differ: the drop of a run whose
		// sends alone are 30% apart says more about the machine than
		// about the backup.
		b.ReportMetric(100*math.Abs(alone.rate-after.rate)/aloneRate, "%-alone-spread")
		b.ReportMetric(100*(1-during.rate/alone.rate), "%-drop-vs-first")
		b.ReportMetric(during.rate, "msg/s-during-backup")
		b.ReportMetric(drop, "%-drop")
		b.ReportMetric(bk.Seconds, "s-backup")
		b.ReportMetric(float64(bk.Bytes)/1e6, "MB-backup")
		b.ReportMetric(ms(quantile(inBackup, 0.99)), "ms-p99-oneclick-in-backup")
		b.ReportMetric(ms(quantile(inBackup, 1)), "ms-max-oneclick-in-backup")
		b.ReportMetric(float64(bk.Bytes)/1e6/bk.Seconds, "MB/s-backup")
		b.ReportMetric(bkCPU.Seconds(), "s-cpu-backup")
		b.ReportMetric(float64(dirty)/1e6, "MB-dirty-peak-in-backup")
		b.ReportMetric(float64(wal)/1e6, "MB-wal-peak-in-backup")
		b.ReportMetric(alone.cpuPerMsg(), "µs-cpu/msg-send-alone")
		b.ReportMetric(during.cpuPerMsg(), "µs-cpu/msg-send-during")
		b.Logf("send alone: %d in %.2fs = %.0f msg/s, one-click p50 %.1f ms p99 %.1f ms max %.1f ms (%d POSTs); largest gap between two accepted messages %.0f ms",
			alone.sent, alone.seconds, alone.rate, ms(quantile(alone.lat, 0.5)), ms(quantile(alone.lat, 0.99)), ms(quantile(alone.lat, 1)), len(alone.lat), ms(alone.gap))
		b.Logf("send alone after the backup: %d in %.2fs = %.0f msg/s, one-click p99 %.1f ms; per second: %s",
			after.sent, after.seconds, after.rate, ms(quantile(after.lat, 0.99)), after.perSecond(after.start, after.start))
		b.Logf("send during backup: %d in %.2fs = %.0f msg/s (%.1f%% drop from the mean of the sends alone); largest gap between two accepted messages %.0f ms",
			during.sent, during.seconds, during.rate, drop, ms(during.gap))
		b.Logf("backup: %.2fs wall in the command, %.2fs end to end, %.0f MB, %d subscribers, %d events; overlapped the send for %.2fs",
			bk.Seconds, bkEnd.Sub(bkStart).Seconds(), float64(bk.Bytes)/1e6, bk.Counts.Subscribers, bk.Counts.Events,
			overlap(bkStart, bkEnd, during.start, during.received[len(during.received)-1]).Seconds())
		b.Logf("one-click during the backup: %d POSTs, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
			len(inBackup), ms(quantile(inBackup, 0.5)), ms(quantile(inBackup, 0.99)), ms(quantile(inBackup, 1)))
		b.Logf("one-click latencies (ms: count), the sends alone: %s; during the backup: %s",
			histogram(append(slices.Clone(alone.lat), after.lat...)), histogram(inBackup))
		b.Logf("backup: %.1f s of CPU, %.0f MB/s; peak of dirty and writeback pages (whole machine) during it %.0f MB; largest WAL %.0f MB",
			bkCPU.Seconds(), float64(bk.Bytes)/1e6/bk.Seconds, float64(dirty)/1e6, float64(wal)/1e6)
		b.Logf("send CPU: %.0f µs/msg alone, %.0f µs/msg during the backup", alone.cpuPerMsg(), during.cpuPerMsg())
		b.Logf("messages accepted per second during the send alone: %s", alone.perSecond(alone.start, alone.start))
		b.Logf("messages accepted per second during the send, from the backup's start (negative: before it): %s", during.perSecond(bkStart, bkEnd))
		b.Logf("the backup, each second: CPU ms user+sys / MB dirty and in writeback (whole machine): %s", bkProfile)
		if la, err := os.ReadFile("/proc/loadavg"); err == nil {
			b.Logf("load average: %s", strings.TrimSpace(string(la)))
		}
	}
}

// benchDatabase puts the benchmark's database at db: a copy of
// -backup-db when it exists, else built (and kept at -backup-db if set).
func benchDatabase(b *testing.B, dir, db string) {
	b.Helper()
	if *benchBackupDB != "" {
		if _, err := os.Stat(*benchBackupDB); err == nil {
			copyFile(b, *benchBackupDB, db)
			// A kept database may predate migrations: apply them now, not
			// while serve starts (with a 1 GB pre-migration copy, that
			// outlasts any wait), and drop that copy to spare the disk.
			if r := dispatch(b, dir, "lists"); r.code != 0 {
				b.Fatalf("migrate the kept database: %s", r.stderr)
			}
			baks, _ := filepath.Glob(db + ".pre-*.bak")
			for _, p := range baks {
				os.Remove(p)
			}
			return
		}
	}
	start := time.Now()
	csvPath := filepath.Join(dir, "all.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(f, synthetic.CSV(*benchBackupSubs))
	f.Close()
	for i := range *benchBackupLists {
		if r := dispatch(b, dir, "import", csvPath, "--list", fmt.Sprintf("all%d", i)); r.code != 0 {
			b.Fatalf("import: %s", r.stderr)
		}
	}
	// The campaign's list: the first -backup-send subscribers.
	in, _ := os.Open(csvPath)
	sc := bufio.NewScanner(in)
	var head strings.Builder
	for i := 0; i <= *benchBackupSend && sc.Scan(); i++ {
		head.WriteString(sc.Text() + "\n")
	}
	in.Close()
	os.WriteFile(csvPath, []byte(head.String()), 0o600)
	if r := dispatch(b, dir, "import", csvPath, "--list", "campaign"); r.code != 0 {
		b.Fatalf("import: %s", r.stderr)
	}
	os.Remove(csvPath)
	b.Logf("built the database in %s", time.Since(start).Round(time.Second))
	if *benchBackupDB != "" {
		copyFile(b, db, *benchBackupDB)
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

type sendRun struct {
	sent       int
	seconds    float64
	rate       float64
	start, end time.Time
	lat        []time.Duration
	at         []time.Time // when each POST of lat was sent
	gap        time.Duration
	cpu        time.Duration // of the send command
	received   []time.Time   // when the SMTP server accepted each message
}

func (r sendRun) cpuPerMsg() float64 {
	return float64(r.cpu.Microseconds()) / float64(max(r.sent, 1))
}

// perSecond counts the messages accepted in each second from the backup's
// start, marking the second the backup ended with "|": where a send slows
// (the copy, the check, the final sync) shows there. With from equal to
// to, it only counts, from from.
func (r sendRun) perSecond(from, to time.Time) string {
	if len(r.received) == 0 {
		return ""
	}
	sec := func(t time.Time) int { // floor of the seconds from from to t
		d := t.Sub(from)
		if d < 0 {
			return -int((-d + time.Second - 1) / time.Second)
		}
		return int(d / time.Second)
	}
	first, last := sec(r.received[0]), sec(r.received[0])
	counts := map[int]int{}
	for _, t := range r.received {
		counts[sec(t)]++
		first, last = min(first, sec(t)), max(last, sec(t))
	}
	end := int(to.Sub(from) / time.Second)
	var sb strings.Builder
	for i := first; i <= last; i++ {
		if i == 0 && !from.Equal(to) {
			sb.WriteString("[backup] ")
		}
		fmt.Fprintf(&sb, "%d ", counts[i])
		if i == end && !from.Equal(to) {
			sb.WriteString("| ")
		}
	}
	return sb.String()
}

// samplePeaks records in *dirty the largest Dirty+Writeback of
// /proc/meminfo (nothing where it is missing), and in *wal the largest
// size of the file at walPath, every 100 ms until the returned func is
// called. A backup's long read transaction shows in the WAL: it cannot be
// restarted while the transaction lasts.
func samplePeaks(walPath string, dirty, wal *int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if st, err := os.Stat(walPath); err == nil {
				*wal = max(*wal, st.Size())
			}
			*dirty = max(*dirty, dirtyBytes())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// latencies returns the one-click latencies of POSTs sent between from and to.
func (r sendRun) latencies(from, to time.Time) []time.Duration {
	var out []time.Duration
	for i, t := range r.at {
		if !t.Before(from) && t.Before(to) {
			out = append(out, r.lat[i])
		}
	}
	return out
}

// benchSend sends a fresh issue to the campaign list while one-click POSTs
// arrive every 20 ms, and runs during (if any) once a tenth is sent.
func benchSend(b *testing.B, dir string, srv *smtptest.Server, name string, link func() string, during func()) sendRun {
	b.Helper()
	issue, _ := os.ReadFile(filepath.Join("..", "..", "examples", "issue.md"))
	id := fmt.Sprintf("backup-bench-%s-%d", name, time.Now().UnixNano())
	body := strings.Replace(string(issue), "id: security-chatter-2024-12-04", "id: "+id, 1)
	path := filepath.Join(dir, id+".md")
	os.WriteFile(path, []byte(body), 0o600)
	srv.Reset()

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	run := sendRun{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 10 * time.Second}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			u := link()
			t0 := time.Now()
			resp, err := client.Post(u, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			d := time.Since(t0)
			if err != nil {
				b.Errorf("one-click: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("one-click %s: %d", u, resp.StatusCode)
				return
			}
			mu.Lock()
			run.lat, run.at = append(run.lat, d), append(run.at, t0)
			mu.Unlock()
		}
	}()

	cmd := exec.Command(dispatchBin, "send", path, "--list", "campaign", "--yes", "--json")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	run.start = time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if during != nil {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Minute)
		srv.WaitMessages(wctx, *benchBackupSend/10)
		wcancel()
		during()
	}
	err := cmd.Wait()
	run.end = time.Now()
	if cmd.ProcessState != nil {
		run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	cancel()
	wg.Wait()
	if err != nil {
		b.Fatalf("send: %v\n%s", err, errb.String())
	}
	var res struct {
		Sent    int
		Seconds float64
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		b.Fatalf("send --json: %v\n%s", err, out.String())
	}
	run.sent, run.seconds = res.Sent, res.Seconds
	run.rate = float64(res.Sent) / res.Seconds
	msgs := srv.Messages()
	for _, m := range msgs {
		run.received = append(run.received, m.Received)
	}
	for i := 1; i < len(msgs); i++ {
		run.gap = max(run.gap, msgs[i].Received.Sub(msgs[i-1].Received))
	}
	return run
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func overlap(a0, a1, b0, b1 time.Time) time.Duration {
	start, end := a0, a1
	if b0.After(start) {
		start = b0
	}
	if b1.Before(end) {
		end = b1
	}
	return max(0, end.Sub(start))
}

// watchProcess samples, once a second until the returned func is called,
// the CPU time process pid used in that second (user+sys, in ms) and the
// machine's Dirty+Writeback memory: the backup's phases show in it (the
// copy: sys time and dirty pages rising; the write-out: dirty pages
// falling; the check: user time).
func watchProcess(pid int) (stop func() string) {
	done := make(chan struct{})
	var sb strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	cpu := func() (user, sys int64) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, 0
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		fmt.Sscan(f[14-3], &user)
		fmt.Sscan(f[15-3], &sys)
		return user * 10, sys * 10 // clock ticks of 10 ms
	}
	dirtyMB := func() int64 { return dirtyBytes() >> 20 }
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lu, ls := cpu()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			u, s := cpu()
			if u == 0 && s == 0 {
				continue // exited; its last second is lost
			}
			fmt.Fprintf(&sb, "%d+%d/%d ", u-lu, s-ls, dirtyMB())
			lu, ls = u, s
		}
	}()
	return func() string { close(done); wg.Wait(); return sb.String() }
}

// histogram counts latencies in buckets of 10 ms up to 100 ms (a
// busy-waiting commit shows as a bump where SQLite's busy handler next
// retries: 18, 33, 53, 78 ms after the first try).
func histogram(d []time.Duration) string {
	var n [11]int
	for _, x := range d {
		n[min(int(x/(10*time.Millisecond)), 10)]++
	}
	var sb strings.Builder
	for i, c := range n {
		if i == 10 {
			fmt.Fprintf(&sb, "100+: %d", c)
			break
		}
		fmt.Fprintf(&sb, "%d-%d: %d, ", i*10, i*10+10, c)
	}
	return sb.String()
}

// dirtyBytes is the machine's page cache waiting to be written or being
// written (Dirty and Writeback in /proc/meminfo).
func dirtyBytes() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	var sum int64
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "Dirty:" || f[0] == "Writeback:") {
			fmt.Sscan(f[1], &kb)
			sum += kb * 1024
		}
	}
	return sum
}
