package mailer

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

var capsEpoch = time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)

func TestCapsOffWhenZero(t *testing.T) {
	if c := newCaps(0, 0); c != nil {
		t.Fatal("caps without limits should be nil")
	}
	var c *caps
	if d, which := c.reserve(capsEpoch); d != 0 || which != "" {
		t.Errorf("nil caps reserve = %v %q; want no wait", d, which)
	}
	c.seed(capsEpoch, 10, 10) // must not panic
}

// TestCapsHourly: the limit holds, the wait says when a slot frees, and the
// slot is free then.
func TestCapsHourly(t *testing.T) {
	c := newCaps(3, 0)
	now := capsEpoch
	for i := range 3 {
		if d, _ := c.reserve(now.Add(time.Duration(i) * 10 * time.Minute)); d != 0 {
			t.Fatalf("send %d waited %v under the limit", i+1, d)
		}
	}
	at := now.Add(25 * time.Minute)
	d, which := c.reserve(at)
	if d == 0 || which != "hourly limit" {
		t.Fatalf("4th send in the hour = %v %q; want a wait for the hourly limit", d, which)
	}
	free := at.Add(d)
	// The first send (10:00:30) has surely left the rolling hour by 11:01.
	if free.Before(now.Add(time.Hour)) || free.After(now.Add(time.Hour+time.Minute)) {
		t.Errorf("slot frees at %s; want between %s and a minute later", free.Format(time.TimeOnly), now.Add(time.Hour).Format(time.TimeOnly))
	}
	if d, _ := c.reserve(free.Add(-time.Second)); d == 0 {
		t.Error("a send was allowed a second before the slot frees")
	}
	if d, _ := c.reserve(free); d != 0 {
		t.Errorf("the slot announced free at %s still waits %v", free.Format(time.TimeOnly), d)
	}
	if d, _ := c.reserve(free); d == 0 {
		t.Error("two sends took the one freed slot")
	}
}

func TestCapsDaily(t *testing.T) {
	c := newCaps(0, 5)
	for i := range 5 {
		if d, _ := c.reserve(capsEpoch.Add(time.Duration(i) * time.Hour)); d != 0 {
			t.Fatalf("send %d waited %v", i+1, d)
		}
	}
	at := capsEpoch.Add(12 * time.Hour)
	d, which := c.reserve(at)
	if d == 0 || which != "daily limit" {
		t.Fatalf("6th send in the day = %v %q; want the daily limit", d, which)
	}
	free := at.Add(d)
	if free.Before(capsEpoch.Add(24*time.Hour)) || free.After(capsEpoch.Add(24*time.Hour+time.Minute)) {
		t.Errorf("daily slot frees at %s; want about 24h after the first send", free)
	}
	if d, _ := c.reserve(free); d != 0 {
		t.Errorf("freed daily slot still waits %v", d)
	}
}

// TestCapsNeverExceededInAnyWindow sends as fast as the caps allow, at
// random instants over three days, and checks every rolling hour and day
// measured to the nanosecond, as a provider counts.
func TestCapsNeverExceededInAnyWindow(t *testing.T) {
	const hourly, daily = 40, 300
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCaps(hourly, daily)
	var sent []time.Time
	now := capsEpoch
	end := capsEpoch.Add(72 * time.Hour)
	for now.Before(end) {
		d, _ := c.reserve(now)
		if d == 0 {
			sent = append(sent, now)
			now = now.Add(time.Duration(rng.Int64N(int64(20 * time.Second))))
			continue
		}
		now = now.Add(d)
	}
	if len(sent) < 3*daily*9/10 {
		t.Fatalf("only %d sends in 3 days with a daily limit of %d", len(sent), daily)
	}
	exceeds := func(window time.Duration, limit int) {
		for i, t1 := range sent {
			j := sort.Search(len(sent), func(k int) bool { return sent[k].After(t1.Add(-window)) })
			if n := i - j + 1; n > limit {
				t.Fatalf("%d sends in the %v ending %s; limit %d", n, window, t1.Format(time.DateTime), limit)
			}
		}
	}
	exceeds(time.Hour, hourly)
	exceeds(24*time.Hour, daily)
}

// TestCapsSeedCountsRecentSendsUntilSurelyGone: after a restart, the ledger
// says how many were sent in the last hour and day, not when. They may have
// gone out a moment ago, so they must count until that could no longer be
// so; otherwise a restart allows a second full quota at once.
func TestCapsSeedCountsRecentSendsUntilSurelyGone(t *testing.T) {
	t.Run("hourly", func(t *testing.T) {
		c := newCaps(100, 0)
		c.seed(capsEpoch, 100, 100)
		for _, after := range []time.Duration{0, 2 * time.Minute, 30 * time.Minute, 59 * time.Minute} {
			if d, _ := c.reserve(capsEpoch.Add(after)); d == 0 {
				t.Errorf("a send %v after a restart that found the hour's quota used was allowed", after)
			}
		}
		if d, _ := c.reserve(capsEpoch.Add(61 * time.Minute)); d != 0 {
			t.Errorf("61 minutes on, the seeded sends still block (%v)", d)
		}
	})
	t.Run("daily", func(t *testing.T) {
		c := newCaps(0, 200)
		// 50 in the last hour, 150 more between one and 24 hours ago.
		c.seed(capsEpoch, 50, 200)
		for _, after := range []time.Duration{0, 2 * time.Minute, 12 * time.Hour, 22*time.Hour + 58*time.Minute} {
			if d, _ := c.reserve(capsEpoch.Add(after)); d == 0 {
				t.Fatalf("a send %v after a restart that found the day's quota used was allowed", after)
			}
		}
		// 23h02m on, the 150 from before the last hour are surely gone;
		// the last hour's 50 may still be within the day.
		c = newCaps(0, 200)
		c.seed(capsEpoch, 50, 200)
		at := capsEpoch.Add(23*time.Hour + 2*time.Minute)
		for i := range 150 {
			if d, _ := c.reserve(at); d != 0 {
				t.Fatalf("send %d at +23h02m waited %v; 150 slots are surely free", i+1, d)
			}
		}
		if d, _ := c.reserve(at); d == 0 {
			t.Error("a 151st send at +23h02m was allowed")
		}
	})
	t.Run("hourly sends count towards the day", func(t *testing.T) {
		c := newCaps(1000, 120)
		c.seed(capsEpoch, 100, 100)
		n := 0
		for ; n < 100; n++ {
			if d, _ := c.reserve(capsEpoch); d != 0 {
				break
			}
		}
		if n != 20 {
			t.Errorf("%d sends allowed with 100 of 120 used today; want 20", n)
		}
	})
}
