package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

// trackedCampaign seeds a campaign of two subscribers whose two links are
// tracked in mode, and returns its id and links.
func (e *env) trackedCampaign(list string, mode subscribers.ClickTracking) (int64, []subscribers.TrackedLink) {
	e.t.Helper()
	seed := sqlitetest.Seed(e.t, e.store, sqlitetest.SeedConfig{List: list, N: 2, Campaign: &subscribers.NewCampaign{Slug: list, Subject: "S"}})
	links := []subscribers.TrackedLink{
		{N: 1, URL: "https://stories.example.com/one?a=1&b=%2F", Section: "First"},
		{N: 2, URL: "https://stories.example.com/two", Section: "Second"},
	}
	if err := e.store.SetCampaignTracking(context.Background(), subscribers.CampaignTracking{CampaignID: seed.Campaign.ID,
		Clicks: mode, Opens: subscribers.OpensAggregate}, links); err != nil {
		e.t.Fatal(err)
	}
	return seed.Campaign.ID, links
}

// browse requests path with a browser's user agent.
func (e *env) browse(method, path string) *http.Response {
	e.t.Helper()
	return e.browseAs(method, path, chrome)
}

func (e *env) browseAs(method, path, ua string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func (e *env) linkPath(campaign int64, n int) string {
	return strings.TrimPrefix(e.tokens.LinkURL("http://x", campaign, n), "http://x")
}

func (e *env) clicks(campaign int64) string {
	e.t.Helper()
	if err := e.srv.FlushClicks(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	lc, err := e.store.CampaignClicks(context.Background(), campaign)
	if err != nil {
		e.t.Fatal(err)
	}
	var s []string
	for _, l := range lc {
		s = append(s, fmt.Sprintf("%d:%d/%d/%d", l.N, l.Human, l.Machine, l.UniqueHumans))
	}
	return strings.Join(s, " ")
}

func TestTrackedLinkRedirect(t *testing.T) {
	e := newEnv(t, nil)
	id, links := e.trackedCampaign("news", subscribers.TrackAggregate)
	other, _ := e.trackedCampaign("other", subscribers.TrackAggregate)

	resp := e.browse("GET", e.linkPath(id, 1))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != links[0].URL {
		t.Fatalf("GET link 1 = %d to %q; want 302 to %q", resp.StatusCode, resp.Header.Get("Location"), links[0].URL)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	if resp := e.browse("HEAD", e.linkPath(id, 2)); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != links[1].URL {
		t.Errorf("HEAD link 2 = %d to %q; want 302 to %q", resp.StatusCode, resp.Header.Get("Location"), links[1].URL)
	}

	sig := e.tokens.LinkSig(id, 1)
	bad := map[string]string{
		"tampered signature":       fmt.Sprintf("/l/%d/1.%s", id, strings.Repeat("a", len(sig))),
		"no signature":             fmt.Sprintf("/l/%d/1", id),
		"link of another campaign": fmt.Sprintf("/l/%d/1.%s", other, sig),
		"unregistered link":        e.linkPath(id, 3),
		"unknown campaign":         e.linkPath(999, 1),
		"leading zero":             fmt.Sprintf("/l/0%d/1.%s", id, sig),
		"double slash":             fmt.Sprintf("/l/%d//evil.example", id),
		"evil after the link":      e.linkPath(id, 1) + "//evil.example",
		"//evil.example":           "//evil.example",
		"//evil.example/l/":        "//evil.example/l/1/1." + sig,
		"/l//evil.example":         "/l//evil.example",
	}
	for name, path := range bad {
		resp := e.browse("GET", path)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("%s (%s) = %d, Location %q; want 404 and no Location", name, path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := e.browse("POST", e.linkPath(id, 1)); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d; want 405", resp.StatusCode)
	}
	if strings.Contains(e.logs.String(), "/l/") {
		t.Errorf("a tracked link reached the access log:\n%s", e.logs.String())
	}
	// One GET counted; the HEAD, the 404s and the POST not.
	if got := e.clicks(id); got != "1:1/0/1 2:0/0/0" {
		t.Errorf("clicks = %s; want one human click on link 1", got)
	}
	if got := e.clicks(other); got != "1:0/0/0 2:0/0/0" {
		t.Errorf("other campaign's clicks = %s; want none", got)
	}
}

func TestAggregateClicksNameNoOne(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	// The URL a recipient gets holds no token; even one added by hand is
	// ignored in aggregate mode.
	token := e.tokens.Delivery(sqlitetest.Deliveries(t, e.store, id)[0].ID)
	// Two readers (one link each: a reader hitting both at once would be
	// a burst, a scanner).
	for i, p := range []string{e.linkPath(id, 1), e.linkPath(id, 2) + "/" + token} {
		if resp := e.browseAs("GET", p, chrome+fmt.Sprint(i)); resp.StatusCode != http.StatusFound {
			t.Fatalf("GET %s = %d", p, resp.StatusCode)
		}
	}
	if resp := e.browse("GET", fmt.Sprintf("/o/%d.%s.gif", id, e.tokens.OpenSig(id))); resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "image/gif" {
		t.Fatalf("pixel = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := e.clicks(id); got != "1:1/0/1 2:1/0/1" {
		t.Fatalf("clicks = %s", got)
	}
	ds := sqlitetest.Deliveries(t, e.store, id)
	personal := []string{"127.0.0.1", chrome + "0", chrome + "1", "user0@example.com", "user1@example.com", token}
	for _, d := range ds {
		personal = append(personal, e.tokens.Delivery(d.ID))
	}
	for name, tab := range sqlitetest.TrackingTables(t, e.store) {
		for _, col := range tab.Columns {
			for _, who := range []string{"delivery", "subscriber", "ip", "agent", "email", "token", "visitor"} {
				if strings.Contains(col, who) && len(tab.Rows) > 0 {
					t.Errorf("table %s has column %s with %d rows after aggregate clicks", name, col, len(tab.Rows))
				}
			}
		}
		for _, row := range tab.Rows {
			for _, cell := range row {
				if slices.Contains(personal, cell) {
					t.Errorf("table %s holds %q", name, cell)
				}
			}
		}
	}
	if n := len(sqlitetest.TrackingTables(t, e.store)["link_clicks"].Rows); n == 0 {
		t.Error("no click counts at all: the check above proved nothing")
	}
}

func TestIndividualClickUsesTheDeliveryTime(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *web.Config) { c.Now = func() time.Time { return now } })
	id, _ := e.trackedCampaign("news", subscribers.TrackIndividual)
	seed, _ := e.store.FindListByName(context.Background(), "news")
	ds := sqlitetest.Deliveries(t, e.store, id)
	sent := now.Add(-10 * time.Second)
	var ops []subscribers.LedgerOp
	for _, d := range ds {
		sqlitetest.Begin(t, e.store, seed.ID, subscribers.Delivery{ID: d.ID})
		ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, At: sent})
	}
	if _, err := e.store.ApplyLedger(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	// Ten seconds after delivery: a scanner. Two hours after: a person.
	e.browse("GET", e.linkPath(id, 1)+"/"+e.tokens.Delivery(ds[0].ID))
	now = now.Add(2 * time.Hour)
	e.browse("GET", e.linkPath(id, 2)+"/"+e.tokens.Delivery(ds[1].ID))
	if got := e.clicks(id); got != "1:0/1/0 2:1/0/1" {
		t.Errorf("clicks = %s; want link 1 a machine's, link 2 a person's", got)
	}
	rows := sqlitetest.TrackingTables(t, e.store)["link_clicks_individual"].Rows
	want := [][]string{
		{fmt.Sprint(id), "1", fmt.Sprint(ds[0].ID), "2026-03-02T09:00:00.000000Z", "1"},
		{fmt.Sprint(id), "2", fmt.Sprint(ds[1].ID), "2026-03-02T11:00:00.000000Z", "0"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("individual clicks = %v\nwant %v", rows, want)
	}
}

func TestCloseFlushesClicks(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.Listen = "127.0.0.1:0"; c.ClickFlushEvery = time.Hour })
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	if err := e.srv.Open(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+e.srv.Addr()+e.linkPath(id, 2), nil)
	req.Header.Set("User-Agent", chrome)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Read without FlushClicks: Close wrote them.
	lc, err := e.store.CampaignClicks(context.Background(), id)
	if err != nil || len(lc) != 2 || lc[1].Human != 1 {
		t.Errorf("after Close: %+v, %v; want link 2 clicked once", lc, err)
	}
}

// TestConcurrentClicksAreAllCounted clicks from many connections while the
// counter flushes every few milliseconds: every 302 ends up counted once.
func TestConcurrentClicksAreAllCounted(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.Listen = "127.0.0.1:0"; c.ClickFlushEvery = 5 * time.Millisecond })
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	if err := e.srv.Open(); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 40
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				req, _ := http.NewRequest("GET", "http://"+e.srv.Addr()+e.linkPath(id, 1+i%2), nil)
				req.Header.Set("User-Agent", fmt.Sprintf("%s w%d", chrome, w))
				resp, err := e.client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusFound {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lc, err := e.store.CampaignClicks(context.Background(), id)
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
}

// queryCounter is the real store, counting the per-click reads the
// redirect could make.
type queryCounter struct {
	web.Store
	deliveries, links atomic.Int64
}

func (q *queryCounter) DeliverySentAt(ctx context.Context, id int64) (int64, time.Time, error) {
	q.deliveries.Add(1)
	return q.Store.DeliverySentAt(ctx, id)
}

func (q *queryCounter) FindCampaignLinks(ctx context.Context, id int64) ([]subscribers.TrackedLink, error) {
	q.links.Add(1)
	return q.Store.FindCampaignLinks(ctx, id)
}

// TestIndividualClicksReadEachDeliveryOnce: in individual mode the
// redirect reads a delivery's send time once, not once per click (it
// never changes once sent), and a campaign's links once; a delivery not
// yet sent is read again on its next click.
func TestIndividualClicksReadEachDeliveryOnce(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var q *queryCounter
	e := newEnv(t, func(c *web.Config) {
		q = &queryCounter{Store: c.Store}
		c.Store, c.Now = q, func() time.Time { return now }
	})
	id, _ := e.trackedCampaign("news", subscribers.TrackIndividual)
	list, _ := e.store.FindListByName(context.Background(), "news")
	ds := sqlitetest.Deliveries(t, e.store, id)
	sqlitetest.Begin(t, e.store, list.ID, subscribers.Delivery{ID: ds[0].ID})
	if _, err := e.store.ApplyLedger(context.Background(), []subscribers.LedgerOp{{Kind: subscribers.OpSent, DeliveryID: ds[0].ID, At: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for _, d := range ds {
			if resp := e.browse("GET", e.linkPath(id, 1+i%2)+"/"+e.tokens.Delivery(d.ID)); resp.StatusCode != http.StatusFound {
				t.Fatalf("click %d: status %d", i, resp.StatusCode)
			}
		}
	}
	// Delivery 0 is sent: read once. Delivery 1 is not: read each time.
	if got := q.deliveries.Load(); got != 1+4 {
		t.Errorf("%d reads of a delivery's send time for 4 clicks of a sent and an unsent delivery; want 5", got)
	}
	if got := q.links.Load(); got != 1 {
		t.Errorf("%d reads of the campaign's links; want 1", got)
	}
	// Each delivery hit both links within seconds: a burst, all machines'.
	if got := e.clicks(id); got != "1:0/4/0 2:0/4/0" {
		t.Errorf("clicks = %s; want all 8 counted, as machines'", got)
	}
}
