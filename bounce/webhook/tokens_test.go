package webhook

import (
	"strconv"
	"testing"
	"time"
)

func TestTokenCacheForgetsExpiredTokens(t *testing.T) {
	var c tokenCache
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	for i := range 5000 {
		if !c.add("old"+strconv.Itoa(i), now.Add(time.Minute), now) {
			t.Fatalf("token %d reported as seen", i)
		}
	}
	if c.add("old42", now.Add(time.Minute), now.Add(30*time.Second)) {
		t.Error("unexpired token accepted twice")
	}
	later := now.Add(2 * time.Minute)
	if !c.add("old42", later.Add(time.Minute), later) {
		t.Error("expired token still rejected")
	}
	for i := range 5000 {
		c.add("new"+strconv.Itoa(i), later.Add(time.Minute), later)
	}
	if n := len(c.until); n > 5001+defaultMinTokenPruning {
		t.Errorf("cache holds %d tokens; expired ones should have been pruned", n)
	}
}
