package sqlite_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// The console's queries at scale: 1,000,000 subscribers in 20 lists (a
// tenth also on a second list), some suppressed, and 5,000,000 events.
// Run with:
//
//	go test ./subscribers -run '^$' -bench Console -benchtime 1x -contacts-db /tmp/contacts-1m.db
//
// The database is built once (a few minutes) and reused while the file
// exists. Each benchmark reports p50 and p95 over varied calls.
var contactsDB = flag.String("contacts-db", "", "path of the 1M-subscriber benchmark database (built if missing)")

const (
	benchSubscribers = 1_000_000
	benchLists       = 20
	benchEvents      = 5_000_000
)

var (
	benchFirst = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim",
		"Margaret", "John", "Hedy", "Claude", "Sophie", "Karen", "Niklaus", "Dennis", "Bjarne", "Guido",
		"Annie", "Katherine", "Dorothy", "Mary", "Jean", "Evelyn", "Ruth", "Marlyn", "Betty", "Kathleen",
		"Élodie", "Zoë", "Øystein", "Łukasz", "Çağla", "Noor", "Aiko", "Chen", "Priya", "Kwame"}
	benchLast = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners-Lee",
		"Hamilton", "McCarthy", "Lamarr", "Shannon", "Wilson", "Spärck Jones", "Wirth", "Ritchie", "Stroustrup", "van Rossum",
		"Easley", "Johnson", "Vaughan", "Jackson", "Bartik", "Boyes", "Teitelbaum", "Wescoff", "Holberton", "Antonelli",
		"Okafor", "Nakamura", "Singh", "García", "Müller", "Rossi", "Novak", "Kowalski", "Haddad", "Mensah"}
	benchDomains = []string{"gmail.com", "outlook.com", "yahoo.com", "firm.example", "mail.example.org", "web.de", "orange.fr", "icloud.com"}
)

func benchEmail(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	f, l := benchFirst[r.IntN(len(benchFirst))], benchLast[r.IntN(len(benchLast))]
	return fmt.Sprintf("%c%s.%d@%s", f[0]|0x20, squash(l), i, benchDomains[r.IntN(len(benchDomains))])
}

func squash(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		if c >= 'a' && c <= 'z' {
			b = append(b, c)
		}
	}
	return string(b)
}

func benchName(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	return benchFirst[r.IntN(len(benchFirst))] + " " + benchLast[r.IntN(len(benchLast))]
}

// openContactsDB opens the benchmark database, building it if needed.
func openContactsDB(b *testing.B) *sqlite.Store {
	b.Helper()
	path := *contactsDB
	if path == "" {
		path = filepath.Join(os.TempDir(), "dispatch-contacts-1m.db")
	}
	ctx := context.Background()
	_, statErr := os.Stat(path)
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if statErr == nil {
		return s
	}
	start := time.Now()
	per := benchSubscribers / benchLists
	for l := range benchLists {
		var buf bytes.Buffer
		buf.WriteString("email,name,company\n")
		for i := l * per; i < (l+1)*per; i++ {
			fmt.Fprintf(&buf, "%s,%s,Company %d\n", benchEmail(i), benchName(i), i%5000)
		}
		if _, err := csvimport.Import(ctx, s, "seed.csv", &buf, subscribers.ImportConfig{List: fmt.Sprintf("list-%02d", l+1)}); err != nil {
			b.Fatal(err)
		}
	}
	db := sqlite.DB(s)
	steps := []string{
		// A tenth of everyone is on a second list too.
		`INSERT INTO subscriptions (list_id, subscriber_id, source, consented_at, updated_at)
		 SELECT (s.id % 20) + 1, s.id, 'seed', s.created_at, s.created_at FROM subscribers s
		 WHERE s.id % 10 = 3 AND NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.list_id = (s.id % 20) + 1 AND x.subscriber_id = s.id)`,
		`UPDATE subscribers SET status = 'unsubscribed' WHERE id % 37 = 5`,
		`UPDATE subscribers SET status = 'bounced' WHERE id % 97 = 11`,
		`UPDATE subscribers SET status = 'complained' WHERE id % 1009 = 17`,
		`UPDATE subscribers SET status = 'blocklisted' WHERE id % 2003 = 19`,
	}
	for _, q := range steps {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	// Fill the history up to 5M events: sends' bounces, opens of the
	// preference page, subscription changes, spread over everyone.
	var have int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&have)
	for have < benchEvents {
		n := min(500_000, benchEvents-have)
		if _, err := db.ExecContext(ctx, `
			WITH RECURSIVE r(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM r WHERE i < ?)
			INSERT INTO events (subscriber_id, list_id, campaign_id, type, actor, reason, created_at)
			SELECT (i * 7919) % 1000000 + 1, (i % 20) + 1, (i % 40) + 1,
			       CASE i % 4 WHEN 0 THEN 'subscribed' WHEN 1 THEN 'updated' WHEN 2 THEN 'bounced' ELSE 'unsubscribed' END,
			       'seed', 'benchmark history', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
			FROM r`, have, have+n-1); err != nil {
			b.Fatal(err)
		}
		have += n
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	if err := s.CheckCounts(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
	return s
}

// measure runs fn n times with varied arguments and reports p50 and p95.
func measure(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	measureTimed(b, n, func(i int) (time.Duration, error) {
		t0 := time.Now()
		err := fn(i)
		return time.Since(t0), err
	})
}

// measureTimed is measure for calls that time themselves.
func measureTimed(b *testing.B, n int, fn func(i int) (time.Duration, error)) {
	b.Helper()
	// Warm the page cache as a running server has it.
	for i := range 3 {
		if _, err := fn(i); err != nil {
			b.Fatal(err)
		}
	}
	times := make([]time.Duration, 0, n)
	for b.Loop() {
		times = times[:0]
		for i := range n {
			d, err := fn(i)
			if err != nil {
				b.Fatal(err)
			}
			times = append(times, d)
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}

func BenchmarkConsoleListing(b *testing.B) {
	s := openContactsDB(b)
	ctx := context.Background()
	lists, err := s.FindLists(ctx)
	if err != nil || len(lists) < benchLists {
		b.Fatalf("lists: %v %d", err, len(lists))
	}
	statuses := subscribers.Statuses
	cases := map[string]func(i int) subscribers.SubscriberQuery{
		"all": func(int) subscribers.SubscriberQuery { return subscribers.SubscriberQuery{} },
		"list": func(i int) subscribers.SubscriberQuery {
			return subscribers.SubscriberQuery{ListID: lists[i%len(lists)].ID}
		},
		"status": func(i int) subscribers.SubscriberQuery {
			return subscribers.SubscriberQuery{Status: statuses[i%len(statuses)]}
		},
		"list+status": func(i int) subscribers.SubscriberQuery {
			return subscribers.SubscriberQuery{ListID: lists[i%len(lists)].ID, Status: statuses[i%len(statuses)]}
		},
	}
	for name, mk := range cases {
		b.Run(name, func(b *testing.B) {
			// Each call walks to its page: first, then 10 pages in.
			measureTimed(b, 100, func(i int) (time.Duration, error) {
				q := mk(i)
				for range i % 11 {
					p, err := s.SearchSubscribers(ctx, q)
					if err != nil {
						return 0, err
					}
					q.After = p.Next
				}
				t0 := time.Now()
				_, err := s.SearchSubscribers(ctx, q)
				return time.Since(t0), err
			})
		})
	}
}

func BenchmarkConsoleSearch(b *testing.B) {
	s := openContactsDB(b)
	ctx := context.Background()
	lists, _ := s.FindLists(ctx)
	terms := func(i int) string {
		r := rand.New(rand.NewPCG(uint64(i), 99))
		j := r.IntN(benchSubscribers)
		switch i % 5 {
		case 0:
			return benchEmail(j) // a whole address
		case 1:
			return benchEmail(j)[:4] // an address prefix
		case 2:
			return benchName(j)[:3] // a first-name prefix
		case 3:
			return benchName(j) // a whole name
		default:
			return squash(benchName(j))[:2] // two letters
		}
	}
	b.Run("search", func(b *testing.B) {
		measure(b, 200, func(i int) error {
			_, err := s.SearchSubscribers(ctx, subscribers.SubscriberQuery{Search: terms(i)})
			return err
		})
	})
	b.Run("search+list", func(b *testing.B) {
		measure(b, 200, func(i int) error {
			_, err := s.SearchSubscribers(ctx, subscribers.SubscriberQuery{Search: terms(i), ListID: lists[i%len(lists)].ID})
			return err
		})
	})
	b.Run("one-letter", func(b *testing.B) {
		measure(b, 26, func(i int) error {
			_, err := s.SearchSubscribers(ctx, subscribers.SubscriberQuery{Search: string(rune('a' + i%26))})
			return err
		})
	})
	b.Run("suppressed", func(b *testing.B) {
		measure(b, 100, func(i int) error {
			q := subscribers.SuppressedQuery{}
			if i%2 == 1 {
				q.Search = benchEmail(i * 7919)[:3]
			}
			_, err := s.FindSuppressed(ctx, q)
			return err
		})
	})
	b.Run("detail", func(b *testing.B) {
		measure(b, 100, func(i int) error {
			id := int64(i*7919%benchSubscribers + 1)
			if _, err := s.FindSubscriberByID(ctx, id); err != nil {
				return err
			}
			_, err := s.Events(ctx, id)
			return err
		})
	})
}

func BenchmarkConsoleDashboard(b *testing.B) {
	s := openContactsDB(b)
	ctx := context.Background()
	measure(b, 50, func(int) error {
		if _, err := s.FindStatusCounts(ctx); err != nil {
			return err
		}
		if _, err := s.FindLists(ctx); err != nil {
			return err
		}
		if _, err := s.FindCampaigns(ctx); err != nil {
			return err
		}
		_, err := s.FindImportRecords(ctx, 10)
		return err
	})
}
