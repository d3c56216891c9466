package mailer

import (
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail/log"
)

// ehloTimer times the EHLO exchange of each connection go-mail dials. It
// is go-mail's debug logger for the length of the dial only: go-mail logs
// each command just before writing it and each reply just after reading
// it, so the time between the first "EHLO" and the reply that follows is
// one round trip to the relay plus the relay's (tiny) EHLO work, whatever
// the TLS mode. conn turns debug logging off once the dial is done, so no
// message pays for it.
type ehloTimer struct {
	sent time.Time
	rtt  time.Duration
}

func (e *ehloTimer) reset() { *e = ehloTimer{} }

func (e *ehloTimer) Debugf(l log.Log) {
	switch {
	case e.rtt != 0:
	case l.Direction == log.DirClientToServer && e.sent.IsZero() && strings.HasPrefix(l.Format, "EHLO "):
		e.sent = time.Now()
	case l.Direction == log.DirServerToClient && !e.sent.IsZero():
		e.rtt = max(time.Since(e.sent), time.Nanosecond)
	}
}

func (e *ehloTimer) Infof(log.Log)  {}
func (e *ehloTimer) Warnf(log.Log)  {}
func (e *ehloTimer) Errorf(log.Log) {}

// rttStat keeps the smallest EHLO round trip seen on a relay: the least
// delayed by queueing on either side, so the closest to the distance.
type rttStat struct {
	mu  sync.Mutex
	min time.Duration
}

func (r *rttStat) add(d time.Duration) {
	if d <= 0 {
		return
	}
	r.mu.Lock()
	if r.min == 0 || d < r.min {
		r.min = d
	}
	r.mu.Unlock()
}

func (r *rttStat) get() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.min
}
