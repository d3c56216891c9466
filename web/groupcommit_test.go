package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// TestConcurrentOneClickAllApplied: many one-click POSTs at once are
// group-committed, and every one answered 200 is in the database, with one
// event each. Repeats of a link change nothing more.
func TestConcurrentOneClickAllApplied(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.OneClickRatePerSecond = -1 })
	const n, workers = 300, 40
	list := "Weekly Digest"
	var subs []*subscribers.Subscriber
	for i := range n {
		subs = append(subs, e.addSubscriber(fmt.Sprintf("reader%03d@example.com", i), list))
	}
	listID := e.listID(list)

	jobs := make(chan int)
	codes := make([]int, 2*n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for j := range jobs {
				u := e.unsubscribeURL(subs[j%n].ID, listID, 0)
				resp, err := client.Post(u, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
				if err != nil {
					continue // codes[j] stays 0 and fails below
				}
				resp.Body.Close()
				codes[j] = resp.StatusCode
			}
		}()
	}
	for j := range 2 * n { // every link twice
		jobs <- j
	}
	close(jobs)
	wg.Wait()

	for j, c := range codes {
		if c != http.StatusOK {
			t.Errorf("POST %d (reader%03d): status %d; want 200", j, j%n, c)
		}
	}
	count := sqlitetest.CountSubscriptions(t, e.store, listID, subscribers.Unsubscribed)
	if count != n {
		t.Errorf("%d subscriptions unsubscribed; want all %d", count, n)
	}
	for i, sub := range subs {
		if ev := e.eventsOfType(sub.ID, subscribers.EventUnsubscribed); len(ev) != 1 {
			t.Errorf("reader%03d: %d unsubscribed events; want 1", i, len(ev))
		}
	}
}
