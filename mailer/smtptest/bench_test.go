package smtptest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// BenchmarkRawCeiling measures the most messages per second this machine can
// push through SMTP on loopback: prebuilt ~10 KB messages, no rendering, no
// ledger, into an in-process Server that discards bodies. Client and server
// share the CPU, as they would for an in-process benchmark of the mailer.
//
//	go test -run '^$' -bench RawCeiling -benchtime 20000x ./mailer/smtptest/
func BenchmarkRawCeiling(b *testing.B) {
	msg := benchMessage()
	for _, pipelining := range []bool{false, true} {
		for _, conns := range []int{1, 4} {
			mode := "lockstep"
			if pipelining {
				mode = "pipelined"
			}
			b.Run(fmt.Sprintf("%s/conns=%d", mode, conns), func(b *testing.B) {
				benchRaw(b, msg, conns, pipelining)
			})
		}
	}
}

func benchRaw(b *testing.B, msg []byte, conns int, pipelining bool) {
	s := smtptest.NewServer(b, smtptest.DiscardBodies())
	ctx := context.Background()
	clients := make([]*smtptest.RawClient, conns)
	for i := range clients {
		c, err := smtptest.DialRaw(ctx, s.Addr())
		if err != nil {
			b.Fatal(err)
		}
		c.Pipelining = pipelining
		clients[i] = c
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()

	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i, c := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := c.Send(ctx, "bounce+c1-s1=example.net@bounces.example.com", "reader@example.net", msg); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()

	// CPU per message (client and server together) is steadier than the
	// rate on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	for _, c := range clients {
		c.Close()
	}
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if got := s.Stats().Messages; got != b.N {
		b.Fatalf("server accepted %d messages; want %d", got, b.N)
	}
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMessage returns a 10.5 KB multipart/alternative newsletter with the
// headers a bulk sender sets, close to what go-mail renders for Dispatch.
func benchMessage() []byte {
	var sb strings.Builder
	h := func(k, v string) { sb.WriteString(k + ": " + v + "\r\n") }
	h("From", `"Weekly" <news@example.com>`)
	h("To", "<reader@example.net>")
	h("Subject", "Issue 42: what we learned sending ten thousand emails")
	h("Message-ID", "<c42.s1.x7Hq2@news.example.com>")
	h("Date", "Sun, 29 Nov 2026 15:00:00 +0000")
	h("List-Unsubscribe", "<https://news.example.com/u/eyJzIjoxLCJpIjo0Mn0.abc>, <mailto:unsubscribe@news.example.com?subject=c42-s1>")
	h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	h("List-Id", "Weekly <weekly.news.example.com>")
	h("Feedback-ID", "42:weekly:dispatch")
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/alternative; boundary="b1"`)
	sb.WriteString("\r\n--b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	line := "Dispatch is an open-source newsletter sender; this line is filler text. =\r\n"
	for sb.Len() < 2600 {
		sb.WriteString(line)
	}
	sb.WriteString("\r\n--b1\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	html := `<p style=3D"margin:0 0 16px;font-family:Georgia,serif;color:#222">Filler paragrap=` + "\r\n" +
		`h for the benchmark message.</p>` + "\r\n"
	for sb.Len() < 10400 {
		sb.WriteString(html)
	}
	sb.WriteString("\r\n--b1--\r\n")
	return []byte(sb.String())
}

func TestBenchMessageIsTenKilobytes(t *testing.T) {
	if n := len(benchMessage()); n < 10000 || n > 11000 {
		t.Errorf("len(benchMessage()) = %d; want about 10.5 KB", n)
	}
}
