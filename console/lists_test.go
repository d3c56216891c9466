package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/subscribers"
)

// eventsBy returns "type reason" of the newest events, newest first.
func eventsBy(t *testing.T, tc *testConsole, actor string) []string {
	t.Helper()
	evs, err := tc.store.RecentEvents(t.Context(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Actor == actor {
			out = append(out, e.Type+" "+e.Reason)
		}
	}
	return out
}

func TestListsCreateRenameDelete(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	b.get("/lists")

	bad := []struct {
		name, title, want string
	}{
		{name: "  ", want: "List name is empty."},
		{name: strings.Repeat("n", 101), want: "longer than 100"},
		{name: "ok", title: "line\nbreak", want: "control character"},
	}
	for _, c := range bad {
		r := b.post("/lists", url.Values{"name": {c.name}, "title": {c.title}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(mainText(r.body), c.want) {
			t.Errorf("create %.20q/%q: %d; want 422 with %q\n%s", c.name, c.title, r.status, c.want, mainText(r.body))
		}
	}
	if names := listNames(t, tc); len(names) != 0 {
		t.Fatalf("invalid forms created lists: %v", names)
	}

	r := b.post("/lists", url.Values{"name": {"clients"}, "title": {"Northwind Briefing"}})
	if r.status != http.StatusSeeOther || r.location != "/lists" {
		t.Fatalf("create: %d to %q\n%s", r.status, r.location, mainText(r.body))
	}
	if p := b.get("/lists"); !strings.Contains(p.body, `List &#34;clients&#34; created.`) || !strings.Contains(p.body, "Northwind Briefing") {
		t.Errorf("lists page after create lacks the notice or the list:\n%s", mainText(p.body))
	}
	if r := b.post("/lists", url.Values{"name": {"CLIENTS"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already exists") {
		t.Errorf("duplicate name: %d", r.status)
	}
	l, err := tc.store.FindListByName(t.Context(), "clients")
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/lists/%d", l.ID)
	b.get(path)
	if r := b.post(path+"/rename", url.Values{"name": {"northwind"}, "title": {"Northwind Security Briefing"}}); r.status != http.StatusSeeOther {
		t.Fatalf("rename: %d\n%s", r.status, mainText(r.body))
	}
	if l, err = tc.store.FindListByID(t.Context(), l.ID); err != nil || l.Name != "northwind" || l.Title != "Northwind Security Briefing" {
		t.Fatalf("after rename: %+v %v", l, err)
	}

	// Deleting needs the name typed exactly.
	b.get(path)
	for _, typed := range []string{"", "Northwind", "clients"} {
		r := b.post(path+"/delete", url.Values{"confirm": {typed}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "type its name") {
			t.Errorf("delete confirmed with %q: %d", typed, r.status)
		}
	}
	if _, err := tc.store.FindListByID(t.Context(), l.ID); err != nil {
		t.Fatalf("the list went after a wrong confirmation: %v", err)
	}
	if r := b.post(path+"/delete", url.Values{"confirm": {"northwind"}}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", r.status, mainText(r.body))
	}
	if names := listNames(t, tc); len(names) != 0 {
		t.Errorf("lists after delete: %v", names)
	}
	if r := b.get(path); r.status != http.StatusNotFound {
		t.Errorf("deleted list page: %d; want 404", r.status)
	}

	got := strings.Join(eventsBy(t, tc, "console:"+adminEmail), "|")
	want := "list_deleted northwind (0 subscriptions)|list_updated title: Northwind Security Briefing|list_renamed clients → northwind|list_created clients"
	if !strings.HasPrefix(got, want) {
		t.Errorf("events by the admin = %q; want them to start with %q", got, want)
	}
}

// TestListDeleteRefusedWithActiveSend: a list with a paused (or sending)
// campaign cannot be deleted, nor one with finished campaigns.
func TestListDeleteRefusedWithActiveSend(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	clients, paused := seed(t, tc)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	path := fmt.Sprintf("/lists/%d", clients.ID)
	b.get(path)
	r := b.post(path+"/delete", url.Values{"confirm": {"clients"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "while a campaign to it is sending or paused") {
		t.Fatalf("delete with a paused campaign: %d\n%s", r.status, mainText(r.body))
	}
	if err := tc.store.EndCampaignRun(t.Context(), paused.ID, 0, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
	b.get(path)
	r = b.post(path+"/delete", url.Values{"confirm": {"clients"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "their reports need it") {
		t.Errorf("delete with a finished campaign: %d\n%s", r.status, mainText(r.body))
	}
	if _, err := tc.store.FindListByID(t.Context(), clients.ID); err != nil {
		t.Errorf("the list is gone: %v", err)
	}
	if _, err := tc.store.FindListByName(t.Context(), "partners"); err != nil {
		t.Fatal(err)
	}
}

func TestDashboard(t *testing.T) {
	tc := newTestConsole(t, console.Config{BounceMailbox: true, BounceMailboxStale: 30 * time.Minute}, false)
	seed(t, tc)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	r := b.get("/")
	main := mainText(r.body)
	for _, want := range []string{
		`<span class="n">10</span><span class="label">Active</span>`,
		`<span class="n">1</span><span class="label">Bounced</span>`,
		`<span class="n">1</span><span class="label">Blocklisted</span>`,
		`Subscribers <span class="count">12</span>`,
		`March briefing`,
		`is paused: the relay refused the sender: 550 5.7.1 sender not allowed`,
		`The bounce mailbox has not been read successfully yet.`,
		`>partners</a>`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(main)
	}

	// A recent poll clears the mailbox warning; an old one is an error.
	if err := tc.store.SaveCheckReport(t.Context(), console.BounceMailboxPollKey, []byte("ok"), tc.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if main := mainText(b.get("/").body); strings.Contains(main, "bounce mailbox") {
		t.Error("the warning stays after a fresh poll")
	}
	tc.clock.Advance(29 * time.Minute) // stay logged in: the idle timeout is 30 minutes
	b.get("/")
	tc.clock.Advance(29 * time.Minute)
	if main := mainText(b.get("/").body); !strings.Contains(main, "The bounce mailbox was last read successfully 58m0s ago") {
		t.Errorf("no stale-mailbox error after 58 minutes:\n%s", main)
	}
}

// TestDashboardCampaignCounts: campaign counts are live, paused or
// finished: they come from the counts the store keeps, with no cache.
func TestDashboardCampaignCounts(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	clients, c := seed(t, tc)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	unsubscribed := func() string {
		t.Helper()
		main := mainText(b.get("/").body)
		i := strings.Index(main, "March briefing")
		if i < 0 {
			t.Fatalf("no campaign row:\n%s", main)
		}
		row := main[i : strings.Index(main[i:], "</tr>")+i]
		cells := regexp.MustCompile(`<td class="num">([0-9,]+)</td>`).FindAllStringSubmatch(row, -1)
		if len(cells) != 4 {
			t.Fatalf("campaign row cells: %q", cells)
		}
		return cells[3][1] // sent, failed, bounced, unsubscribed
	}
	unsubscribe := func(email string) {
		t.Helper()
		sub, err := tc.store.FindSubscriberByEmail(t.Context(), email)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.store.Unsubscribe(t.Context(), sub.ID, clients.ID, c.ID, "test", "link"); err != nil {
			t.Fatal(err)
		}
	}
	if got := unsubscribed(); got != "0" {
		t.Fatalf("unsubscribed = %s; want 0", got)
	}
	unsubscribe("person03@example.com")
	if got := unsubscribed(); got != "1" {
		t.Errorf("paused campaign after an unsubscribe: %s; want 1 (live)", got)
	}
	if err := tc.store.EndCampaignRun(t.Context(), c.ID, 0, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
	unsubscribe("person04@example.com")
	if got := unsubscribed(); got != "2" {
		t.Errorf("finished campaign after an unsubscribe: %s; want 2 (live)", got)
	}
}
