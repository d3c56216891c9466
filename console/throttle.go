package console

import (
	"strings"
	"sync"
	"time"
)

// Login throttling: after too many failures within the window, further
// attempts are refused, without checking the password, until the oldest
// failure leaves the window. Per account (the typed address, whether or
// not it exists, so a refusal reveals nothing) and per client IP, so
// neither guessing one account from many addresses nor many accounts from
// one address gets far. The table is in memory: a restart forgets it,
// which costs an attacker a restart they cannot cause.
const (
	throttleWindow     = 15 * time.Minute
	maxAccountFailures = 5
	maxIPFailures      = 20
	maxThrottleKeys    = 50_000
)

type throttle struct {
	now  func() time.Time
	mu   sync.Mutex
	fail map[string][]time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, fail: map[string][]time.Time{}}
}

func accountKey(email string) string { return "a:" + strings.ToLower(strings.TrimSpace(email)) }
func ipKey(ip string) string         { return "i:" + ip }

// wait returns how long the caller must wait before another attempt for
// this account from this IP; zero means go ahead.
func (t *throttle) wait(email, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	return max(t.waitLocked(accountKey(email), maxAccountFailures, now), t.waitLocked(ipKey(ip), maxIPFailures, now))
}

func (t *throttle) waitLocked(key string, limit int, now time.Time) time.Duration {
	fs := t.recent(key, now)
	if len(fs) < limit {
		return 0
	}
	return fs[len(fs)-limit].Add(throttleWindow).Sub(now)
}

// recent drops failures older than the window and returns the rest.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	fs := t.fail[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= throttleWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fail, key)
		return nil
	}
	t.fail[key] = fs
	return fs
}

// failed records a failed attempt.
func (t *throttle) failed(email, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fail) >= maxThrottleKeys {
		// Forget what is old; if everything is recent, start over rather
		// than grow without bound.
		for k := range t.fail {
			t.recent(k, now)
		}
		if len(t.fail) >= maxThrottleKeys {
			clear(t.fail)
		}
	}
	for _, k := range []string{accountKey(email), ipKey(ip)} {
		t.fail[k] = append(t.recent(k, now), now)
	}
}

// succeeded forgets the account's failures.
func (t *throttle) succeeded(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fail, accountKey(email))
}
