package mailer

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"sync"
	"time"
)

// A relay that cannot be reached is down. Its workers take no work; one of
// them tries to connect again after a wait that starts at RetryBackoff
// (at most maxFirstRetry) and doubles up to maxRetryWait. Connection
// failures are the relay's fault, so they never count against a
// recipient's attempts. When no relay has been reachable for
// RelayDownPause, the campaign pauses.
const (
	maxFirstRetry = time.Second
	maxRetryWait  = 30 * time.Second
	// failuresToStop failed attempts on every relay, without a single
	// connection made in this run, stop the run at once: that is a
	// configuration mistake, not an outage.
	failuresToStop = 3
)

// relayState is a relay shared by its workers: its own pace, and whether
// it can be reached.
type relayState struct {
	cfg  Relay
	name string
	pace *pacer
	rtt  rttStat // the EHLO round trip

	mu        sync.Mutex
	down      bool
	downSince time.Time
	retryAt   time.Time     // next connection attempt while down
	wait      time.Duration // the current wait between attempts
	retrying  bool          // a worker is trying to connect
	failures  int           // consecutive failed connection attempts
	lastErr   string
}

func (r *relayState) isDown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down
}

// unreachable records a failed connection attempt and reports whether the
// relay just went down.
func (r *relayState) unreachable(now time.Time, first time.Duration, err error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures++
	r.lastErr = err.Error()
	if !r.down {
		r.down, r.downSince, r.wait, r.retrying = true, now, first, false
		r.retryAt = now.Add(first)
		return true
	}
	if r.retrying {
		r.retrying = false
		r.wait = min(2*r.wait, maxRetryWait)
		r.retryAt = now.Add(r.wait)
	}
	return false
}

// reachable records a connection made and returns how long the relay was
// down before it (0 when it was up).
func (r *relayState) reachable(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = 0
	if !r.down {
		return 0
	}
	r.down, r.retrying = false, false
	return now.Sub(r.downSince)
}

// claimRetry reports whether the caller should try to connect now; when
// not, it returns when to look again.
func (r *relayState) claimRetry(now time.Time) (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.down || r.retrying {
		return false, now.Add(50 * time.Millisecond)
	}
	if now.Before(r.retryAt) {
		return false, r.retryAt
	}
	r.retrying = true
	return true, time.Time{}
}

func (r *relayState) snapshot() (failures int, lastErr string, retryAt time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures, r.lastErr, r.retryAt
}

// firstRetry is the first wait after a relay goes down.
func (s *Sender) firstRetry() time.Duration { return min(s.cfg.RetryBackoff, maxFirstRetry) }

// connected records the result of a connection attempt to rs: the relay
// comes back, or goes down, and the run stops at once when no relay was
// ever reachable.
func (s *Sender) connected(st *runState, rs *relayState, now time.Time, err error) {
	if err == nil {
		st.connected.Store(true)
		if d := rs.reachable(now); d > 0 {
			s.cfg.Logger.Warn("SMTP relay reachable again; sending resumes", "relay", rs.name, "down", d.Round(time.Millisecond))
		}
		s.noteRelays(st, now)
		return
	}
	if rs.unreachable(now, s.firstRetry(), err) && st.connected.Load() {
		s.cfg.Logger.Warn("SMTP relay unreachable; waiting for it (recipients keep their attempts)", "relay", rs.name, "err", err)
	}
	s.noteRelays(st, now)
	if st.connected.Load() {
		return
	}
	for _, r := range s.relays {
		if n, _, _ := r.snapshot(); n < failuresToStop {
			return
		}
	}
	st.cancel(errUnreachable{relay: rs.name, reason: err.Error()})
}

// noteRelays keeps track of the time during which no relay was reachable.
func (s *Sender) noteRelays(st *runState, now time.Time) {
	all := true
	for _, r := range s.relays {
		if !r.isDown() {
			all = false
			break
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case all && st.allDownSince.IsZero():
		st.allDownSince = now
		st.outages++
	case !all && !st.allDownSince.IsZero():
		st.relayDown += now.Sub(st.allDownSince)
		st.allDownSince = time.Time{}
	}
}

// awaitRelay is what a worker of a relay that is down does instead of
// taking work: it tries to connect when its turn comes, and pauses the
// campaign when no relay has been reachable for RelayDownPause. It
// returns false when the worker should stop.
func (s *Sender) awaitRelay(ctx context.Context, st *runState, rs *relayState, cn *conn) bool {
	now := s.cfg.Now()
	st.mu.Lock()
	since := st.allDownSince
	st.mu.Unlock()
	if !since.IsZero() && now.Sub(since) >= s.cfg.RelayDownPause {
		st.cancel(errPaused{reason: s.relayDownReason(st, rs, now.Sub(since))})
		return false
	}
	try, at := rs.claimRetry(now)
	if try {
		// A connection kept from before the outage proves nothing: dial.
		cn.abandon()
		err := cn.ensure(ctx, now)
		if ctx.Err() != nil {
			return false
		}
		s.connected(st, rs, s.cfg.Now(), err)
		return true
	}
	wake := at.Sub(now)
	if !since.IsZero() {
		wake = min(wake, since.Add(s.cfg.RelayDownPause).Sub(now))
	}
	t := time.NewTimer(min(max(wake, time.Millisecond), time.Second))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-st.feedDone:
		return false
	case <-t.C:
		return true
	}
}

func (s *Sender) relayDownReason(st *runState, rs *relayState, d time.Duration) string {
	_, lastErr, _ := rs.snapshot()
	reason := fmt.Sprintf("no SMTP relay has accepted a connection for %s (sending.relay_down_pause); last error from %s: %s. "+
		"Failed connections were not counted against any recipient", d.Round(time.Second), rs.name, lastErr)
	if n := st.ambiguous.Load(); n > 0 {
		reason += fmt.Sprintf("; %d %s cut off after the message was transmitted, so %s may arrive twice", n,
			pluralS(int(n), "connection was", "connections were"), pluralS(int(n), "it", "they"))
	}
	return reason + ". When the relay is back, run the same command to resume"
}

// relayWaiting says what the run waits for while no relay is reachable.
func (s *Sender) relayWaiting(st *runState) string {
	st.mu.Lock()
	since := st.allDownSince
	st.mu.Unlock()
	if since.IsZero() {
		return ""
	}
	var next time.Time
	var lastErr, name string
	for _, r := range s.relays {
		_, e, at := r.snapshot()
		if next.IsZero() || at.Before(next) {
			next, lastErr, name = at, e, r.name
		}
	}
	return fmt.Sprintf(waitingRelay+", unreachable since %s (%s: %s); next try at %s; the campaign pauses at %s if it is still down",
		since.Local().Format("15:04:05"), name, lastErr, next.Local().Format("15:04:05"),
		since.Add(s.cfg.RelayDownPause).Local().Format("15:04:05"))
}

// beforeRecipient reports whether a failed transaction broke off before
// the recipient was named: the connection was lost, or the relay said 421
// (closing the channel), in answer to MAIL FROM.
func beforeRecipient(err error) bool {
	var se *sendError
	if !errors.As(err, &se) || se.step != stepMail {
		return false
	}
	var reply *textproto.Error
	return !errors.As(se.err, &reply) || reply.Code == 421
}
