package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

const goodIssue = `---
subject: 'March briefing for {{ .FirstName | default "colleague" }}'
---

# March briefing

Dear {{ .FirstName | default "colleague" }},

Patch the VPN gateways this week.
`

// misspeltIssue has {{ .FristName }} on line 7.
var misspeltIssue = strings.Replace(goodIssue, `Dear {{ .FirstName | default "colleague" }}`, "Dear {{ .FristName }}", 1)

// createIssue writes an issue through the new-issue form.
func createIssue(t *testing.T, b *browser, name, source string) int64 {
	t.Helper()
	b.get("/issues")
	return issueID(t, b.post("/issues", url.Values{"name": {name}, "source": {source}}))
}

// TestIssueCreateAndSave: an issue written in the console is stored with
// its history, each save naming the admin; a save of the same text adds
// nothing.
func TestIssueCreateAndSave(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march-briefing", misspeltIssue)
	page := b.get(fmt.Sprintf("/issues/%d", id))
	if page.status != http.StatusOK || !strings.Contains(page.body, "FristName") {
		t.Fatalf("issue page: %d\n%s", page.status, mainText(page.body))
	}
	r := b.post(fmt.Sprintf("/issues/%d", id), url.Values{"op": {"save"}, "source": {strings.ReplaceAll(goodIssue, "\n", "\r\n")}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, mainText(r.body))
	}
	if p := b.get(r.location); !strings.Contains(p.body, "Saved as version 2.") {
		t.Errorf("after save, notice missing:\n%s", mainText(p.body))
	}
	r = b.post(fmt.Sprintf("/issues/%d", id), url.Values{"op": {"save"}, "source": {goodIssue}})
	if p := b.get(r.location); !strings.Contains(p.body, "No changes since version 2") {
		t.Errorf("saving the same text again:\n%s", mainText(p.body))
	}
	vs, err := tc.store.FindIssueVersions(context.Background(), id)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions = %+v, %v; want 2", vs, err)
	}
	for _, v := range vs {
		if v.SavedBy != "console:"+adminEmail {
			t.Errorf("version %d saved by %q; want console:%s", v.Number, v.SavedBy, adminEmail)
		}
	}
	if vs[0].Subject != `March briefing for {{ .FirstName | default "colleague" }}` {
		t.Errorf("subject of version 2 = %q", vs[0].Subject)
	}
	is, _ := tc.store.FindIssueByID(context.Background(), id)
	if is.Latest.Source != goodIssue {
		t.Errorf("stored source = %q; want the text with LF line ends", is.Latest.Source)
	}
	old := b.get(fmt.Sprintf("/issues/%d/versions/1", id))
	if old.status != http.StatusOK || !strings.Contains(old.body, "FristName") || !strings.Contains(old.body, "Saved by console:"+adminEmail) {
		t.Errorf("version 1 page: %d\n%s", old.status, mainText(old.body))
	}
	list := b.get("/issues")
	if !strings.Contains(list.body, "march-briefing") || !strings.Contains(list.body, "March briefing for") {
		t.Errorf("issues page lacks the issue:\n%s", mainText(list.body))
	}
}

// TestIssueChecksAtTheirLine: the renderer's errors and warnings show
// next to the text with their line, for a preview of unsaved text too.
func TestIssueChecksAtTheirLine(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	seed(t, tc.testConsole)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	tests := []struct {
		name   string
		source string
		want   []string
	}{
		{name: "misspelt placeholder", source: misspeltIssue, want: []string{"Line 7", "FristName", "FirstName"}},
		{name: "unknown front matter key", source: "---\nsubject: S\nsubjet: T\n---\nHi\n", want: []string{"Line 3", "subjet"}},
		{name: "no front matter", source: "Just text\n", want: []string{"front matter"}},
		{name: "no subject", source: "---\npreheader: P\n---\nHi\n", want: []string{"subject"}},
		{name: "a layout file on the server", source: "---\nsubject: S\nlayout: /etc/passwd\n---\nHi\n", want: []string{"Line 3", "layout: names a file on the server"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post(fmt.Sprintf("/issues/%d", id), url.Values{"op": {"preview"}, "source": {tc.source}})
			if r.status != http.StatusOK {
				t.Fatalf("preview: %d", r.status)
			}
			checks := section(r.body, `id="checks"`)
			for _, w := range tc.want {
				if !strings.Contains(checks, w) {
					t.Errorf("checks lack %q:\n%s", w, checks)
				}
			}
			if !strings.Contains(checks, "error") {
				t.Errorf("checks show no error:\n%s", checks)
			}
			if strings.Contains(r.body, "<iframe") {
				t.Errorf("a broken issue is previewed")
			}
		})
	}
	attr := strings.Replace(goodIssue, "Patch the VPN", `For {{ .Attr "compnay" }}: patch the VPN`, 1)
	r := b.post(fmt.Sprintf("/issues/%d", id), url.Values{"op": {"preview"}, "source": {attr}})
	if checks := section(r.body, `id="checks"`); !strings.Contains(checks, "Line 9") || !strings.Contains(checks, "compnay") || !strings.Contains(checks, "warning") {
		t.Errorf("an attribute nobody on the list has:\n%s", checks)
	}
	r = b.post(fmt.Sprintf("/issues/%d", id), url.Values{"op": {"preview"}, "source": {goodIssue}})
	if !strings.Contains(section(r.body, `id="checks"`), "No problems found.") {
		t.Errorf("good issue checks:\n%s", section(r.body, `id="checks"`))
	}
	if is, _ := tc.store.FindIssueByID(context.Background(), id); is.Versions != 1 {
		t.Errorf("previews saved something: %d versions", is.Versions)
	}
}

// section is the element of body that starts at the tag holding marker.
func section(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

var previewSrcRE = regexp.MustCompile(`<iframe sandbox src="(/previews/[0-9a-f]+)" title="(Desktop|Phone) preview`)

// TestIssuePreviewSandboxed: the preview is framed from a console route
// whose CSP lets nothing run, in a sandboxed iframe, at two widths, with
// the text part beside it.
func TestIssuePreviewSandboxed(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	page := b.get(fmt.Sprintf("/issues/%d", id))
	frames := previewSrcRE.FindAllStringSubmatch(page.body, -1)
	if len(frames) != 2 || frames[0][2] != "Desktop" || frames[1][2] != "Phone" {
		t.Fatalf("preview frames = %v; want desktop and phone\n%s", frames, section(page.body, `id="preview"`))
	}
	if !strings.Contains(page.body, `width="680"`) || !strings.Contains(page.body, `width="375"`) {
		t.Errorf("frames are not at desktop and phone widths")
	}
	text := section(page.body, `id="preview"`)
	if !strings.Contains(text, "Plain text") || !strings.Contains(text, "Patch the VPN gateways this week.") {
		t.Errorf("text part missing beside the preview:\n%s", text)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("editor CSP = %q", csp)
	}
	doc := b.get(frames[0][1])
	if doc.status != http.StatusOK || !strings.Contains(doc.body, "Patch the VPN gateways") || !strings.Contains(doc.body, "Dear Ada") {
		t.Fatalf("preview document: %d\n%.300s", doc.status, doc.body)
	}
	csp := doc.header.Get("Content-Security-Policy")
	for _, want := range []string{"sandbox", "script-src 'none'", "default-src 'none'", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("preview CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "allow-scripts") || doc.header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("preview headers: CSP %q, X-Frame-Options %q", csp, doc.header.Get("X-Frame-Options"))
	}
	if r := b.get("/previews/0123456789abcdef0123456789abcdef"); r.status != http.StatusNotFound {
		t.Errorf("unknown preview: %d; want 404", r.status)
	}
	if r := tc.browser().get(frames[0][1]); r.status != http.StatusSeeOther {
		t.Errorf("preview without a session: %d; want a redirect to the login", r.status)
	}
}

// TestIssueUpload: a Markdown file becomes an issue named after it; a
// taken name, a missing file and an oversized one are refused.
func TestIssueUpload(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	b.get("/issues")
	id := issueID(t, b.uploadIssue("/issues/upload", nil, "March Briefing.md", []byte(goodIssue)))
	is, err := tc.store.FindIssueByID(context.Background(), id)
	if err != nil || is.Name != "march-briefing" || is.Latest.Source != goodIssue || is.CreatedBy != "console:"+adminEmail {
		t.Fatalf("uploaded issue = %+v, %v", is, err)
	}
	b.get("/issues")
	r := b.uploadIssue("/issues/upload", nil, "march-briefing.md", []byte(goodIssue))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already an issue called") {
		t.Errorf("same name again: %d\n%s", r.status, mainText(r.body))
	}
	named := issueID(t, b.uploadIssue("/issues/upload", [][2]string{{"name", "april"}}, "whatever.md", []byte(goodIssue)))
	if is, _ := tc.store.FindIssueByID(context.Background(), named); is.Name != "april" {
		t.Errorf("named upload = %q", is.Name)
	}
	r = b.uploadIssue("/issues/upload", nil, "", nil)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Choose a Markdown file") {
		t.Errorf("no file: %d\n%s", r.status, mainText(r.body))
	}
	r = b.uploadIssue("/issues/upload", nil, "huge.md", []byte(strings.Repeat("x", subscribers.MaxIssueBytes+1)))
	if r.status != http.StatusUnprocessableEntity && r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized file: %d\n%s", r.status, mainText(r.body))
	}
	r = b.uploadIssue("/issues/upload", nil, "latin1.md", []byte("---\nsubject: caf\xe9\n---\n"))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "UTF-8") {
		t.Errorf("not UTF-8: %d\n%s", r.status, mainText(r.body))
	}
	if all, _ := tc.store.FindIssues(context.Background()); len(all) != 2 {
		t.Errorf("%d issues after the refusals; want 2", len(all))
	}
	b.csrf = "wrong"
	if r := b.uploadIssue("/issues/upload", nil, "x.md", []byte(goodIssue)); r.status != http.StatusForbidden {
		t.Errorf("upload without the token: %d; want 403", r.status)
	}
}

// TestIssueTestSend: a test copy goes through the relay to each address
// and the page shows what the relay said; bad addresses send nothing,
// and a refusal is shown with the relay's reply.
func TestIssueTestSend(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	clients, _ := seed(t, tc.testConsole)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	path := fmt.Sprintf("/issues/%d/test", id)
	list := fmt.Sprint(clients.ID)

	r := b.post(path, url.Values{"to": {"editor@example.org, person03@example.com"}, "list": {list}})
	if r.status != http.StatusOK {
		t.Fatalf("test send: %d\n%s", r.status, mainText(r.body))
	}
	msgs := tc.smtp.Messages()
	if len(msgs) != 2 || msgs[0].To[0] != "editor@example.org" || msgs[1].To[0] != "person03@example.com" {
		t.Fatalf("relay got %v; want one copy each", msgs)
	}
	if !strings.Contains(string(msgs[0].Data), "Subject: [Test] March briefing for") || !strings.Contains(string(msgs[1].Data), "Dear Person") {
		t.Errorf("copies:\n%.600s\n---\n%.600s", msgs[0].Data, msgs[1].Data)
	}
	results := section(r.body, "What the relay answered")
	if strings.Count(results, "accepted by test-relay") != 2 {
		t.Errorf("results:\n%s", results)
	}

	tc.smtp.Reset()
	r = b.post(path, url.Values{"to": {"editor@example.org, not-an-address"}, "list": {list}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not-an-address") || len(tc.smtp.Messages()) != 0 {
		t.Errorf("invalid address: %d, %d sent\n%s", r.status, len(tc.smtp.Messages()), mainText(r.body))
	}
	r = b.post(path, url.Values{"to": {""}, "list": {list}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("no address: %d", r.status)
	}

	tc.smtp.FailRcpt("refused@example.org", 550, "5.1.1", "user unknown")
	r = b.post(path, url.Values{"to": {"refused@example.org"}, "list": {list}})
	if r.status != http.StatusBadGateway || !strings.Contains(section(r.body, "What the relay answered"), "550") ||
		!strings.Contains(r.body, "user unknown") {
		t.Errorf("relay refusal: %d\n%s", r.status, mainText(r.body))
	}

	bad := createIssue(t, b, "broken", misspeltIssue)
	r = b.post(fmt.Sprintf("/issues/%d/test", bad), url.Values{"to": {"editor@example.org"}, "list": {list}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "1 error") {
		t.Errorf("test of a broken issue: %d\n%s", r.status, mainText(r.body))
	}
	if n := len(tc.smtp.Messages()); n != 0 {
		t.Errorf("%d messages after the refusals; want 0", n)
	}
}

// TestIssueSendToList: the confirmation shows the list, the recipients
// after suppressions, From, subject and relay; above the threshold the
// list's name must be typed; the campaign is created through the
// campaign service and the browser goes to its page.
func TestIssueSendToList(t *testing.T) {
	tc := newIssueConsole(t, console.Config{TypedConfirmAbove: 5})
	clients, paused := seed(t, tc.testConsole)
	b, id, facts := openSendConfirmation(t, tc, clients)
	for _, want := range []string{"clients", `<strong id="recipients">10</strong>`, "briefing@example.com",
		"March briefing for", "test-relay", `name="confirm"`} {
		if !strings.Contains(facts, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, facts)
		}
	}
	if strings.Contains(facts, `name="force"`) {
		t.Errorf("confirmation offers to send past checks that all passed:\n%s", mainText(facts))
	}
	form := url.Values{"list": {fmt.Sprint(clients.ID)}, "version": {"1"}}
	form.Set("confirm", "client")
	r := b.post(fmt.Sprintf("/issues/%d/send", id), form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Type the list") {
		t.Errorf("wrong typed name: %d\n%s", r.status, mainText(r.body))
	}
	form.Set("version", "7")
	form.Set("confirm", "clients")
	if r := b.post(fmt.Sprintf("/issues/%d/send", id), form); r.status != http.StatusConflict {
		t.Errorf("stale version: %d; want 409", r.status)
	}
	if cs, _ := tc.store.FindCampaigns(context.Background()); len(cs) != 1 || cs[0].ID != paused.ID {
		t.Fatalf("campaigns after refusals: %+v", cs)
	}
	form.Set("version", "1")
	r = b.post(fmt.Sprintf("/issues/%d/send", id), form)
	if r.status != http.StatusSeeOther || !regexp.MustCompile(`^/campaigns/\d+$`).MatchString(r.location) {
		t.Fatalf("send: %d to %q\n%s", r.status, r.location, mainText(r.body))
	}
	c, err := tc.store.FindLatestCampaign(context.Background(), "march", clients.ID)
	if err != nil || r.location != fmt.Sprintf("/campaigns/%d", c.ID) || c.IssuePath != "console:issues/march/v1" {
		t.Fatalf("campaign = %+v, %v (went to %s)", c, err, r.location)
	}
	ctl, err := tc.store.FindCampaignControl(context.Background(), c.ID)
	if err != nil || ctl.Hold != subscribers.HoldSchedule || ctl.ScheduledAt.After(tc.clock.Now()) {
		t.Errorf("control = %+v, %v; want due now for the runner", ctl, err)
	}
	// The runner starts it: the same path as `dispatch send --at`.
	run, err := tc.svc.StartCampaign(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Send(context.Background(), nil)
	if err != nil || out.Stats.Sent != 10 || len(tc.smtp.Messages()) != 10 {
		t.Fatalf("run: %+v, %v; relay got %d", out, err, len(tc.smtp.Messages()))
	}

	// Sent once: a second send needs "again".
	show := b.get(fmt.Sprintf("/issues/%d/send?list=%d", id, clients.ID))
	if !strings.Contains(show.body, fmt.Sprintf("campaign %d", c.ID)) || !strings.Contains(show.body, `name="again"`) {
		t.Errorf("second confirmation lacks the existing campaign:\n%s", mainText(show.body))
	}
	if r := b.post(fmt.Sprintf("/issues/%d/send", id), form); r.status != http.StatusUnprocessableEntity {
		t.Errorf("second send without again: %d", r.status)
	}
}

// openSendConfirmation logs in, creates the issue "march" and opens its
// confirmation of a send to list; it returns the browser, the issue's id
// and the confirmation's facts section.
func openSendConfirmation(t *testing.T, tc *issueConsole, list *subscribers.List) (*browser, int64, string) {
	t.Helper()
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	show := b.get(fmt.Sprintf("/issues/%d/send?list=%d", id, list.ID))
	if show.status != http.StatusOK {
		t.Fatalf("confirmation: %d\n%s", show.status, mainText(show.body))
	}
	return b, id, section(show.body, `aria-labelledby="confirm-h"`)
}

// TestIssueSendRunsTheSendChecks: the confirmation shows the checks
// `dispatch send` runs (here the doctor's configuration checks, with no
// postal address, which fails, and a base URL that is not https, which
// only warns since the relay is on this machine); a failed check refuses
// the send until "send anyway" is ticked, as --force.
func TestIssueSendRunsTheSendChecks(t *testing.T) {
	tc := newIssueConsole(t, console.Config{TypedConfirmAbove: 100}, func(c *campaign.Console) {
		c.Checks = func(context.Context, *templates.Compiled) (doctor.Report, error) {
			return doctor.CheckConfig(&doctor.Config{BaseURL: "http://localhost:8080", PostalAddress: " ",
				Relays: []doctor.Relay{{Name: "test-relay", Host: "127.0.0.1", Port: 25}}}), nil
		}
	})
	clients, _ := seed(t, tc.testConsole)
	b, id, facts := openSendConfirmation(t, tc, clients)
	for _, want := range []string{"postal address", "sender.postal_address is empty", "Fix: set sender.postal_address",
		"base url", "is not https", `name="force"`, "Send anyway despite the failed check"} {
		if !strings.Contains(facts, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, mainText(facts))
		}
	}
	if strings.Contains(facts, "web.secret is strong") {
		t.Errorf("confirmation lists a check that passed:\n%s", mainText(facts))
	}
	form := url.Values{"list": {fmt.Sprint(clients.ID)}, "version": {"1"}}
	r := b.post(fmt.Sprintf("/issues/%d/send", id), form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "1 check failed before sending") {
		t.Errorf("send with a failed check: %d\n%s", r.status, mainText(r.body))
	}
	if cs, _ := tc.store.FindCampaigns(context.Background()); len(cs) != 1 {
		t.Fatalf("campaigns after the refusal: %+v; want only the seeded one", cs)
	}
	form.Set("force", "1")
	r = b.post(fmt.Sprintf("/issues/%d/send", id), form)
	if r.status != http.StatusSeeOther || !regexp.MustCompile(`^/campaigns/\d+$`).MatchString(r.location) {
		t.Fatalf("send anyway: %d to %q\n%s", r.status, r.location, mainText(r.body))
	}
}

// TestIssueSchedule: a date, time and zone schedule the campaign for the
// runner; a past time and an unknown zone are refused.
func TestIssueSchedule(t *testing.T) {
	tc := newIssueConsole(t, console.Config{})
	clients, _ := seed(t, tc.testConsole)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	show := b.get(fmt.Sprintf("/issues/%d/send?list=%d&schedule=1", id, clients.ID))
	if !strings.Contains(show.body, `name="date"`) || !strings.Contains(show.body, `name="zone"`) || strings.Contains(show.body, `name="confirm"`) {
		t.Fatalf("schedule page (10 recipients, under the threshold):\n%s", mainText(show.body))
	}
	post := func(date, tm, zone string) response {
		return b.post(fmt.Sprintf("/issues/%d/send", id), url.Values{"list": {fmt.Sprint(clients.ID)}, "version": {"1"},
			"schedule": {"1"}, "date": {date}, "time": {tm}, "zone": {zone}})
	}
	tests := []struct {
		name, date, time, zone, want string
	}{
		{name: "past", date: "2026-03-04", time: "08:00", zone: "UTC", want: "in the past"},
		{name: "bad zone", date: "2026-03-05", time: "09:00", zone: "Mars/Olympus", want: "not a time zone"},
		{name: "bad date", date: "05/03/2026", time: "09:00", zone: "UTC", want: "Give a date like"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(tt.date, tt.time, tt.zone)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
				t.Errorf("%d\n%s", r.status, mainText(r.body))
			}
		})
	}
	r := post("2026-03-05", "09:30", "Europe/Paris")
	if r.status != http.StatusSeeOther {
		t.Fatalf("schedule: %d\n%s", r.status, mainText(r.body))
	}
	c, err := tc.store.FindLatestCampaign(context.Background(), "march", clients.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := tc.store.FindCampaignControl(context.Background(), c.ID)
	if want := time.Date(2026, 3, 5, 8, 30, 0, 0, time.UTC); !ctl.ScheduledAt.Equal(want) || ctl.ScheduleZone != "Europe/Paris" || ctl.Hold != subscribers.HoldSchedule {
		t.Errorf("control = %+v; want 2026-03-05 08:30 UTC in Europe/Paris", ctl)
	}
	if st, _ := tc.store.FindCampaignStats(context.Background(), c.ID); st.Recipients != 0 {
		t.Errorf("a scheduled campaign has %d deliveries before it starts", st.Recipients)
	}
}

// TestIssueSendingOff: without a relay the editor still edits and
// previews, and says why it cannot send.
func TestIssueSendingOff(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	seed(t, tc)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	id := createIssue(t, b, "march", goodIssue)
	page := b.get(fmt.Sprintf("/issues/%d", id))
	if !strings.Contains(page.body, "Sending is off") || strings.Contains(page.body, "Send test") {
		t.Errorf("editor without a relay:\n%s", mainText(page.body))
	}
	if r := b.get(fmt.Sprintf("/issues/%d/send", id)); r.status != http.StatusConflict {
		t.Errorf("send page without a relay: %d", r.status)
	}
	if r := b.post(fmt.Sprintf("/issues/%d/test", id), url.Values{"to": {"a@example.com"}}); r.status != http.StatusConflict {
		t.Errorf("test send without a relay: %d", r.status)
	}
}
