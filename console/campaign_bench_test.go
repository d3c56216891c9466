package console_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/consolecampaigns"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
)

// The campaign page, its polled progress, its CSV report and the
// dashboard, for a campaign of 1,000,000 deliveries: 960,000 sent over
// about half an hour, 15,000 failed (each reply naming its recipient),
// 5,000 deferred, 20,000 still queued; 12,000 hard bounces, 800
// complaints and 3,000 unsubscribes over the next three days. Run with:
//
//	go test ./console -run '^$' -bench CampaignPage -benchtime 1x -campaign-db /tmp/campaign-1m.db
//
// The database is built once (a few minutes) and reused while the file
// exists. Each case reports p50 and p95 server time over 40 requests.
var campaignDB = flag.String("campaign-db", "", "path of the 1M-delivery benchmark database (built if missing)")

const benchDeliveries = 1_000_000

func openCampaignDB(b *testing.B) (*sqlite.Store, int64) {
	b.Helper()
	path := *campaignDB
	if path == "" {
		path = filepath.Join(os.TempDir(), "dispatch-campaign-1m.db")
	}
	_, statErr := os.Stat(path)
	s := sqlitetest.OpenFile(b, path)
	ctx := context.Background()
	if statErr == nil {
		cs, err := s.FindCampaigns(ctx)
		if err != nil || len(cs) == 0 {
			b.Fatalf("campaigns in %s: %v (remove the file to rebuild it)", path, err)
		}
		return s, cs[0].ID
	}
	start := time.Now()
	c := sqlitetest.SeedSentCampaign(b, s, sqlitetest.SentCampaign{List: "clients", N: benchDeliveries,
		Domains: []string{"gmail.com", "outlook.com", "yahoo.com", "firm.example", "mail.example.org", "web.de", "orange.fr", "icloud.com"},
		Sent:    960_000, Failed: 15_000, Deferred: 5_000,
		Start: time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Minute), Rate: 500,
		HardBounces: 12_000, Complaints: 800, Unsubscribes: 3_000})
	b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
	return s, c.ID
}

// campaignBenchConsole serves a console over s and returns a logged-in client.
func campaignBenchConsole(b *testing.B, s *sqlite.Store) (*httptest.Server, *http.Client) {
	b.Helper()
	ctx := context.Background()
	svc := &accounts.Service{Store: s}
	if _, err := svc.AddUser(ctx, adminEmail, "Ada", adminPassword, "bench"); err != nil && !errors.Is(err, accounts.ErrExists) {
		b.Fatal(err)
	}
	c, err := console.New(console.Config{Store: s, Logger: slog.New(slog.DiscardHandler),
		Campaigns: consolecampaigns.New(campaign.New(campaign.Config{Owner: consoleOwner}, s))})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	b.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	resp, err := cl.Get(srv.URL + "/login")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(body)
	if m == nil {
		b.Fatal("no CSRF token on the login page")
	}
	resp, err = cl.PostForm(srv.URL+"/login", url.Values{"csrf": {string(m[1])}, "email": {adminEmail}, "password": {adminPassword}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		b.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return srv, cl
}

func BenchmarkCampaignPage(b *testing.B) {
	s, id := openCampaignDB(b)
	srv, cl := campaignBenchConsole(b, s)
	for _, tc := range []struct{ name, path, want string }{
		{"page", fmt.Sprintf("/campaigns/%d", id), "Top recipient domains"},
		{"progress", fmt.Sprintf("/campaigns/%d/progress", id), `id="n-sent"`},
		{"report.csv", fmt.Sprintf("/campaigns/%d/report.csv", id), "summary,,sent,960000"},
		{"list", "/campaigns", "Seeded campaign"},
		{"dashboard", "/", "Last campaigns"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			get := func() time.Duration {
				t0 := time.Now()
				resp, err := cl.Get(srv.URL + tc.path)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
					b.Fatalf("GET %s: %d, want %q in:\n%.2000s", tc.path, resp.StatusCode, tc.want, body)
				}
				return d
			}
			for range 3 { // warm the page cache, as a running server has it
				get()
			}
			times := make([]time.Duration, 0, 40)
			for b.Loop() {
				times = times[:0]
				for range 40 {
					times = append(times, get())
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
		})
	}
}
