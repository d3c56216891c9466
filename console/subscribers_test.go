package console_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/subscribers"
)

func seedSubscribers(t *testing.T, tc *testConsole, n int) {
	t.Helper()
	for i := range n {
		if _, err := tc.store.AddSubscriber(context.Background(), subscribers.AddInput{
			Email: fmt.Sprintf("user%02d@example.com", i), Name: fmt.Sprintf("Person %02d", i), Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSubscribersSearchFilterAndPages(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	seedSubscribers(t, tc, 55)
	if _, err := tc.store.AddSubscriber(context.Background(), subscribers.AddInput{Email: "grace@navy.example", Name: "Grace Hopper"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.store.Blocklist(context.Background(), "user07@example.com", "test", ""); err != nil {
		t.Fatal(err)
	}
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	r := b.get("/subscribers")
	if r.status != http.StatusOK || !strings.Contains(r.body, "grace@navy.example") || countRows(r.body) != 50 ||
		!strings.Contains(r.body, `rel="next"`) || !strings.Contains(r.body, ">56<") {
		t.Fatalf("first page: status %d; want 50 rows, newest first, a next link and the total 56\n%s", r.status, mainText(r.body))
	}
	next := regexpFind(r.body, `href="(/subscribers\?after=[^"]+)" rel="next"`)
	r = b.get(strings.ReplaceAll(next, "&amp;", "&"))
	if countRows(r.body) != 6 || strings.Contains(r.body, `rel="next"`) || !strings.Contains(r.body, "user00@example.com") {
		t.Errorf("second page: want the last 6 and no next link\n%s", mainText(r.body))
	}

	for _, tc := range []struct{ query, want, not string }{
		{"q=GRACE", "grace@navy.example", "user01@example.com"},
		{"q=person+0", "user09@example.com", "user10@example.com"},
		{"q=user0&status=blocklisted", "user07@example.com", "user06@example.com"},
		{"q=&list=1&status=active", "user54@example.com", "grace@navy.example"},
	} {
		r := b.get("/subscribers?" + tc.query)
		if r.status != http.StatusOK || !strings.Contains(r.body, tc.want) || strings.Contains(r.body, ">"+tc.not+"<") {
			t.Errorf("search %s: status %d; want %s and not %s\n%s", tc.query, r.status, tc.want, tc.not, mainText(r.body))
		}
	}
	for _, bad := range []string{"status=happy", "list=x", "after=forged"} {
		if r := b.get("/subscribers?" + bad); r.status != http.StatusBadRequest || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("bad query %s: status %d; want 400 with a message", bad, r.status)
		}
	}
}

// countRows counts links to subscriber pages.
func countRows(body string) int {
	return len(regexp.MustCompile(`href="/subscribers/[0-9]+"`).FindAllString(body, -1))
}

func regexpFind(body, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestSubscriberDetailEditAndLists(t *testing.T) {
	ctx := context.Background()
	tc := newTestConsole(t, console.Config{}, false)
	res, err := tc.store.AddSubscriber(ctx, subscribers.AddInput{Email: "bob@example.com", Name: "Bob", Lists: []string{"clients"},
		Source: "import:crm.csv", Attributes: map[string]any{"company": "Engines"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.store.CreateList(ctx, subscribers.NewList{Name: "friends"}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(res.Subscriber.ID, 10)
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	r := b.get("/subscribers/" + id)
	for _, want := range []string{"bob@example.com", "import:crm.csv", "company = Engines", "created", "Remove and erase"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	r = b.post("/subscribers/"+id+"/edit", url.Values{"name": {"Bob Builder"}, "attributes": {"company = Cranes\ncity = Oslo"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, mainText(r.body))
	}
	r = b.post("/subscribers/"+id+"/edit", url.Values{"name": {"X"}, "attributes": {"no equals sign"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "line 1") {
		t.Errorf("bad attributes: %d %s", r.status, mainText(r.body))
	}
	friends, _ := tc.store.FindListByName(ctx, "friends")
	if r := b.post("/subscribers/"+id+"/lists", url.Values{"list": {strconv.FormatInt(friends.ID, 10)}}); r.status != http.StatusSeeOther {
		t.Fatalf("join: %d %s", r.status, mainText(r.body))
	}
	clients, _ := tc.store.FindListByName(ctx, "clients")
	if r := b.post(fmt.Sprintf("/subscribers/%s/lists/%d/remove", id, clients.ID), nil); r.status != http.StatusSeeOther {
		t.Fatalf("leave: %d %s", r.status, mainText(r.body))
	}
	sub, _ := tc.store.FindSubscriberByID(ctx, res.Subscriber.ID)
	if sub.Name != "Bob Builder" || sub.Attributes["city"] != "Oslo" || len(sub.Lists) != 2 {
		t.Fatalf("after edits: %+v", sub)
	}
	for _, l := range sub.Lists {
		if (l.List == "clients") != (l.Status == subscribers.Unsubscribed) {
			t.Errorf("subscription %s is %s", l.List, l.Status)
		}
	}
	// Every change names the acting admin.
	events, _ := tc.store.Events(ctx, sub.ID)
	actors := map[string]int{}
	for _, e := range events {
		actors[e.Actor]++
	}
	if actors["console:"+adminEmail] != 3 {
		t.Errorf("events by the console user = %d; want 3 (update, subscribe, unsubscribe): %+v", actors["console:"+adminEmail], events)
	}
}

// TestSubscriberBlocklistAndRemoveKeepSuppression: no console path makes a
// suppressed address active again.
func TestSubscriberBlocklistAndRemoveKeepSuppression(t *testing.T) {
	ctx := context.Background()
	tc := newTestConsole(t, console.Config{}, false)
	res, err := tc.store.AddSubscriber(ctx, subscribers.AddInput{Email: "eve@example.com", Lists: []string{"clients"}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(res.Subscriber.ID, 10)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	b.get("/subscribers/" + id)
	if r := b.post("/subscribers/"+id+"/blocklist", url.Values{"reason": {"spam trap"}}); r.status != http.StatusSeeOther {
		t.Fatalf("blocklist: %d %s", r.status, mainText(r.body))
	}
	sub, _ := tc.store.FindSubscriberByID(ctx, res.Subscriber.ID)
	if sub.Status != subscribers.StatusBlocklisted {
		t.Fatalf("status = %s", sub.Status)
	}
	clients, _ := tc.store.FindListByName(ctx, "clients")
	if r := b.post("/subscribers/"+id+"/lists", url.Values{"list": {strconv.FormatInt(clients.ID, 10)}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("adding a blocklisted subscriber to a list: %d", r.status)
	}
	b.get("/subscribers")
	if r := b.post("/subscribers", url.Values{"email": {"EVE@example.com"}, "list": {"clients"}}); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "suppressed") {
		t.Errorf("re-adding a blocklisted address: %d %s", r.status, mainText(r.body))
	}
	if sub, _ := tc.store.FindSubscriberByID(ctx, res.Subscriber.ID); sub.Status != subscribers.StatusBlocklisted {
		t.Errorf("status after the console's attempts = %s", sub.Status)
	}

	b.get("/subscribers/" + id)
	if r := b.post("/subscribers/"+id+"/remove", url.Values{"confirm": {"someone else"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("remove with a wrong confirmation: %d", r.status)
	}
	if r := b.post("/subscribers/"+id+"/remove", url.Values{"confirm": {"eve@example.com"}}); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.status, mainText(r.body))
	}
	if _, err := tc.store.FindSubscriberByID(ctx, res.Subscriber.ID); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("removed subscriber still there: %v", err)
	}
	b.get("/subscribers")
	if r := b.post("/subscribers", url.Values{"email": {"eve@example.com"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("re-adding a removed address: %d", r.status)
	}
}

func TestSubscribersExportNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	tc := newTestConsole(t, console.Config{}, false)
	if _, err := tc.store.AddSubscriber(ctx, subscribers.AddInput{Email: "f@example.com", Name: "=HYPERLINK(\"http://evil\")",
		Lists: []string{"clients"}, Attributes: map[string]any{"phone": "+44 20"}}); err != nil {
		t.Fatal(err)
	}
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	r := b.get("/subscribers/export.csv?list=1")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.status, r.header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") != "email,name,status,lists,attributes,created_at" {
		t.Fatalf("export = %q, %v", r.body, err)
	}
	if recs[1][1] != `'=HYPERLINK("http://evil")` {
		t.Errorf("name cell = %q; want it neutralised", recs[1][1])
	}
}
