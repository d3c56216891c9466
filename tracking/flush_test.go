package tracking_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/tracking"
)

// failingStore is the real store, except that it refuses the next fail
// flushes, and it notes when each flush came.
type failingStore struct {
	tracking.Store
	mu       sync.Mutex
	fail     int
	failures int
	flushes  []time.Time
}

func (s *failingStore) AddClicks(ctx context.Context, d []subscribers.ClickDelta, i []subscribers.IndividualClick, o []subscribers.OpenDelta) error {
	s.mu.Lock()
	s.flushes = append(s.flushes, time.Now())
	fail := s.fail > 0
	if fail {
		s.fail--
		s.failures++
	}
	s.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return s.Store.AddClicks(ctx, d, i, o)
}

// TestConcurrentClicksCountExactlyOnce: clicks of many readers (so every
// shard) from many goroutines, while flushes run, one of them failing:
// after the last flush the store holds exactly as many clicks as were
// made, and as many individual clicks and opens.
func TestConcurrentClicksCountExactlyOnce(t *testing.T) {
	f := newFixture(t)
	ds := sqlitetest.Deliveries(t, f.store, f.campaign)
	store := &failingStore{Store: f.store, fail: 1}
	c, err := tracking.New(tracking.Config{Store: store, Now: func() time.Time { return f.sent.Add(3 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				cl := tracking.Click{CampaignID: f.campaign, N: 1 + i%3, Links: 3, SentAt: f.sent,
					IP: netip.AddrFrom4([4]byte{198, 51, byte(w), byte(i % 50)}), UserAgent: browser}
				if i%100 == 0 {
					cl.DeliveryID = ds[0].ID
				}
				c.Click(cl)
				if i%50 == 0 {
					c.Open(f.campaign)
				}
			}
		})
	}
	stop, flushed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(flushed)
		for {
			select {
			case <-stop:
				return
			default:
				_ = c.Flush(context.Background()) // the refused one is kept and retried
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-flushed
	// The refused flush may also be this one, if the flusher found nothing
	// to write while the clicks ran.
	if err := c.FlushAll(context.Background()); err != nil {
		if err := c.FlushAll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if store.failures != 1 {
		t.Fatalf("%d flushes refused; want 1", store.failures)
	}
	lc, err := f.store.CampaignClicks(context.Background(), f.campaign)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range lc {
		total += l.Human + l.Machine
	}
	if total != workers*each {
		t.Errorf("%d clicks counted; want %d", total, workers*each)
	}
	oh, err := f.store.CampaignOpens(context.Background(), f.campaign)
	if err != nil || len(oh) != 1 || oh[0].Opens != workers*each/50 {
		t.Errorf("opens = %+v, %v; want %d", oh, err, workers*each/50)
	}
	if n := len(sqlitetest.TrackingTables(t, f.store)["link_clicks_individual"].Rows); n != workers*each/100 {
		t.Errorf("%d individual clicks; want %d", n, workers*each/100)
	}
}

// TestFailedFlushKeepsCounts: a flush the store refuses loses nothing and
// adds nothing twice; the next one writes it all.
func TestFailedFlushKeepsCounts(t *testing.T) {
	f := newFixture(t)
	store := &failingStore{Store: f.store, fail: 2}
	c, err := tracking.New(tracking.Config{Store: store, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.sent.Add(2 * time.Hour)
	click := func(n int, ip string) {
		c.Click(tracking.Click{CampaignID: f.campaign, N: n, Links: 3, SentAt: f.sent, IP: netip.MustParseAddr(ip), UserAgent: browser})
	}
	click(1, "198.51.100.7")
	click(2, "198.51.100.8")
	c.Open(f.campaign)
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("first flush succeeded; the store was to refuse it")
	}
	click(1, "198.51.100.9")
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("second flush succeeded; the store was to refuse it")
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.counter = c
	if got := f.counts(t); got != "1:2/0/2 2:1/0/1 3:0/0/0 " {
		t.Errorf("after two refused flushes = %s; want every click once", got)
	}
	if oh, err := f.store.CampaignOpens(context.Background(), f.campaign); err != nil || len(oh) != 1 || oh[0].Opens != 1 {
		t.Errorf("opens = %+v, %v; want 1", oh, err)
	}
}

// TestRunFlushesEverySecond: with the default configuration a click
// reaches the store within a second (so a crash loses at most that
// second), on the bubble's fake clock.
func TestRunFlushesEverySecond(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		store := &failingStore{Store: f.store}
		c, err := tracking.New(tracking.Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		start := time.Now()
		for i := range 3 {
			time.Sleep(300 * time.Millisecond)
			c.Click(tracking.Click{CampaignID: f.campaign, N: 1, Links: 3, IP: netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", i+1)), UserAgent: browser})
		}
		time.Sleep(time.Second - 900*time.Millisecond) // one second after the start
		synctest.Wait()
		lc, err := f.store.CampaignClicks(context.Background(), f.campaign)
		if err != nil {
			t.Fatal(err)
		}
		if lc[0].Human+lc[0].Machine != 3 {
			t.Errorf("a second after the start the store has %+v; want its 3 clicks", lc[0])
		}
		store.mu.Lock()
		if len(store.flushes) != 1 || store.flushes[0].Sub(start) > time.Second {
			t.Errorf("flushes at %v; want one, a second after the start", store.flushes)
		}
		store.mu.Unlock()
		cancel()
		<-done
	})
}

// TestIndividualClickWrittenAtNextFlush: an individual click is written
// by the next flush, like the counts (a crash loses at most the last
// second of them too), and a burst that follows reclassifies it.
func TestIndividualClickWrittenAtNextFlush(t *testing.T) {
	f := newFixture(t)
	ds := sqlitetest.Deliveries(t, f.store, f.campaign)
	f.now = f.sent.Add(2 * time.Hour)
	click := func(n int) {
		f.counter.Click(tracking.Click{CampaignID: f.campaign, N: n, Links: 3, DeliveryID: ds[0].ID, SentAt: f.sent,
			IP: netip.MustParseAddr("198.51.100.7"), UserAgent: browser})
	}
	flags := func() string {
		if err := f.counter.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var s string
		for _, r := range sqlitetest.TrackingTables(t, f.store)["link_clicks_individual"].Rows {
			s += r[1] + ":" + r[4] + " "
		}
		return s
	}
	click(1)
	if got := flags(); got != "1:0 " {
		t.Fatalf("after one click and a flush: %q; want link 1 recorded, human", got)
	}
	f.now = f.now.Add(time.Second)
	click(2)
	click(3)
	if got := flags(); got != "1:1 2:1 3:1 " {
		t.Errorf("after the burst: %q; want all three recorded once, machines'", got)
	}
	if got := f.counts(t); got != "1:0/1/0 2:0/1/0 3:0/1/0 " {
		t.Errorf("counts = %s; want a machine click per link", got)
	}
}
