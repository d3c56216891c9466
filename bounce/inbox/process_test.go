package inbox_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestProcessAttributesBouncesAndComplaints(t *testing.T) {
	tests := []struct {
		name     string
		fixture  string
		email    string
		override func(v map[string]string)
		wantType bounce.Type
		wantAttr inbox.Attribution
		wantKind subscribers.BounceKind
		wantStat subscribers.Status
		// byDelivery: the bounce row carries the campaign and delivery.
		byDelivery bool
		// sent: the address was mailed just before (address matching
		// needs it).
		sent bool
	}{
		{
			name: "verp hard bounce", fixture: "postfix-hard.eml", email: "ada@example.net",
			wantType: bounce.TypeBounce, wantAttr: inbox.AttrVERP, wantKind: subscribers.BounceHard,
			wantStat: subscribers.StatusBounced, byDelivery: true,
		},
		{
			name: "returned message-id without verp", fixture: "exchange-hard.eml", email: "bob@example.net",
			override: func(v map[string]string) { v["TO"] = bounceBase },
			wantType: bounce.TypeBounce, wantAttr: inbox.AttrMessageID, wantKind: subscribers.BounceHard,
			wantStat: subscribers.StatusBounced, byDelivery: true,
		},
		{
			name: "x-dispatch-delivery header of the returned message", fixture: "exchange-hard.eml", email: "cy@example.net",
			override: func(v map[string]string) {
				v["TO"] = bounceBase
				v["ORIG_MSGID"] = "rewritten.4711@relay.example.org"
			},
			wantType: bounce.TypeBounce, wantAttr: inbox.AttrHeader, wantKind: subscribers.BounceHard,
			wantStat: subscribers.StatusBounced, byDelivery: true,
		},
		{
			name: "address only, mailed recently", fixture: "qmail-prose.eml", email: "dee@example.net",
			override: func(v map[string]string) { v["TO"] = bounceBase },
			wantType: bounce.TypeBounce, wantAttr: inbox.AttrAddress, wantKind: subscribers.BounceHard,
			wantStat: subscribers.StatusBounced, sent: true,
		},
		{
			name: "arf complaint", fixture: "arf-abuse.eml", email: "fay@example.net",
			wantType: bounce.TypeComplaint, wantAttr: inbox.AttrMessageID, wantKind: subscribers.BounceComplaint,
			wantStat: subscribers.StatusComplained, byDelivery: true,
		},
		{
			name: "arf complaint with the recipient redacted", fixture: "arf-abuse.eml", email: "jo@example.net",
			override: func(v map[string]string) { v["RCPT"] = "redacted@fbl.example-isp.net" },
			wantType: bounce.TypeComplaint, wantAttr: inbox.AttrMessageID, wantKind: subscribers.BounceComplaint,
			wantStat: subscribers.StatusComplained, byDelivery: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.sent {
				e.markSent(tc.email)
			}
			v := e.vars(tc.email)
			if tc.override != nil {
				tc.override(v)
			}
			o := e.process(fixture(t, tc.fixture, v))
			if o.Type != tc.wantType {
				t.Fatalf("Type = %q; want %q (outcome %+v)", o.Type, tc.wantType, o)
			}
			if len(o.Recipients) != 1 {
				t.Fatalf("Recipients = %+v; want one", o.Recipients)
			}
			a := o.Recipients[0]
			d := e.delivery[tc.email]
			if a.Attribution != tc.wantAttr || a.Kind != tc.wantKind || a.Suppressed != tc.wantStat || a.SubscriberID != d.SubscriberID {
				t.Errorf("applied = %+v; want attribution %s, kind %s, suppressed %s, subscriber %d",
					a, tc.wantAttr, tc.wantKind, tc.wantStat, d.SubscriberID)
			}
			if got := e.status(tc.email); got != tc.wantStat {
				t.Errorf("status of %s = %s; want %s", tc.email, got, tc.wantStat)
			}
			want := bounceRow{Kind: string(tc.wantKind), Source: "mail"}
			if tc.byDelivery {
				want.CampaignID, want.DeliveryID = e.campaign.ID, d.ID
			}
			if got := e.bounces(tc.email); len(got) != 1 || got[0] != want {
				t.Errorf("bounce rows = %+v; want [%+v]", got, want)
			}
			if o.Duplicate || o.Unattributed || o.Error != "" {
				t.Errorf("outcome = %+v; want a fresh, attributed result", o)
			}
			var sum inbox.Summary
			sum.Add(o)
			if tc.wantType == bounce.TypeBounce && sum.Bounces != 1 || tc.wantType == bounce.TypeComplaint && sum.Complaints != 1 {
				t.Errorf("summary = %+v", sum)
			}
			// Nobody else was touched.
			if n := e.countBounces(); n != 1 {
				t.Errorf("bounce rows in total = %d; want 1", n)
			}
		})
	}
}

func TestSameMessageTwiceIsADuplicate(t *testing.T) {
	e := newEnv(t)
	raw := fixture(t, "postfix-hard.eml", e.vars("ada@example.net"))
	first := e.process(raw)
	second := e.process(raw)
	if first.Duplicate || !second.Duplicate {
		t.Fatalf("Duplicate = %v, %v; want false, true", first.Duplicate, second.Duplicate)
	}
	if first.Key == "" || first.Key != second.Key {
		t.Errorf("keys %q, %q; want equal and set", first.Key, second.Key)
	}
	if got := e.bounces("ada@example.net"); len(got) != 1 {
		t.Errorf("bounce rows = %+v; want one", got)
	}
	// The same message with CRLF line endings (as IMAP serves it) is
	// still the same message.
	crlf := []byte(strings.ReplaceAll(string(raw), "\n", "\r\n"))
	if o := e.process(crlf); !o.Duplicate {
		t.Errorf("CRLF copy: Duplicate = false; want true")
	}
	var sum inbox.Summary
	sum.Add(first)
	sum.Add(second)
	if want := (inbox.Summary{Messages: 2, Bounces: 1, Duplicates: 1}); sum != want {
		t.Errorf("summary = %+v; want %+v", sum, want)
	}
}

func TestMessageWithoutMessageIDIsKeyedByContent(t *testing.T) {
	e := newEnv(t)
	v := e.vars("dee@example.net")
	v["TO"] = bounceBase
	raw := fixture(t, "qmail-prose.eml", v)
	raw = []byte(strings.Replace(string(raw), "Message-ID: <qmail-bounce-1@mail.example.org>\n", "", 1))
	if strings.Contains(string(raw), "Message-ID") {
		t.Fatal("fixture still has a Message-ID")
	}
	first, second := e.process(raw), e.process(append(raw, '\n'))
	if !strings.HasPrefix(first.Key, "mail:raw:") || first.Key != second.Key || !second.Duplicate {
		t.Errorf("keys %q, %q, second duplicate %v; want one content key, duplicate", first.Key, second.Key, second.Duplicate)
	}
}

func TestSoftBouncesSuppressAtTheLimitWithinTheWindow(t *testing.T) {
	e := newEnv(t)
	day := 24 * time.Hour
	soft := func(email string, n int) inbox.Outcome {
		v := e.vars(email)
		v["N"] = itoa(n)
		return e.process(fixture(t, "postfix-soft.eml", v))
	}

	// Three within days of each other: the third suppresses.
	for n := 1; n <= 3; n++ {
		o := soft("eve@example.net", n)
		if len(o.Recipients) != 1 || o.Recipients[0].Kind != subscribers.BounceSoft {
			t.Fatalf("soft bounce %d: %+v; want one soft bounce", n, o.Recipients)
		}
		want, wantSuppressed := subscribers.StatusActive, subscribers.Status("")
		if n == 3 {
			want, wantSuppressed = subscribers.StatusBounced, subscribers.StatusBounced
		}
		if got := e.status("eve@example.net"); got != want || o.Recipients[0].Suppressed != wantSuppressed {
			t.Errorf("after soft bounce %d: status %s, suppressed %q; want %s", n, got, o.Recipients[0].Suppressed, want)
		}
		e.advance(day)
	}

	// Spread out: days 0, 20 and 35 leave only two within 30 days; a
	// fourth on day 40 makes three (days 20, 35, 40).
	steps := []struct {
		after time.Duration
		want  subscribers.Status
	}{
		{0, subscribers.StatusActive},
		{20 * day, subscribers.StatusActive},
		{15 * day, subscribers.StatusActive},
		{5 * day, subscribers.StatusBounced},
	}
	for i, s := range steps {
		e.advance(s.after)
		soft("fay@example.net", 10+i)
		if got := e.status("fay@example.net"); got != s.want {
			t.Errorf("spread soft bounce %d: status %s; want %s", i+1, got, s.want)
		}
	}
	if got := len(e.bounces("fay@example.net")); got != 4 {
		t.Errorf("fay has %d bounce rows; want 4", got)
	}
}

func TestMailtoUnsubscribe(t *testing.T) {
	e := newEnv(t)
	gus := e.subscriber("gus@example.net")
	raw := fixture(t, "mailto-unsubscribe.eml", e.vars("gus@example.net"))
	o := e.process(raw)
	want := &inbox.Unsubscription{SubscriberID: gus.ID, ListID: e.listID, CampaignID: e.campaign.ID}
	if o.Unsubscribe == nil || *o.Unsubscribe != *want {
		t.Fatalf("Unsubscribe = %+v; want %+v", o.Unsubscribe, want)
	}
	if got := e.subscription("gus@example.net", listName); got != subscribers.Unsubscribed {
		t.Errorf("subscription to %s = %s; want unsubscribed", listName, got)
	}
	// Only that list: the other one and the address stay.
	if got := e.subscription("gus@example.net", "other"); got != subscribers.Subscribed {
		t.Errorf("subscription to other = %s; want subscribed", got)
	}
	if got := e.status("gus@example.net"); got != subscribers.StatusActive {
		t.Errorf("status = %s; want active", got)
	}
	evs, err := e.store.Events(e.ctx, gus.ID)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ev := range evs {
		if ev.Type == subscribers.EventUnsubscribed {
			found = true
			if ev.CampaignID != e.campaign.ID || ev.ListID != e.listID || ev.Actor != "subscriber" || ev.Reason != "mailto" {
				t.Errorf("unsubscribe event = %+v; want campaign %d, list %d, actor subscriber, reason mailto", ev, e.campaign.ID, e.listID)
			}
		}
	}
	if !found {
		t.Errorf("no unsubscribed event in %+v", evs)
	}
	if n := e.countBounces(); n != 0 {
		t.Errorf("an unsubscribe recorded %d bounces; want 0", n)
	}

	again := e.process(raw)
	if !again.Duplicate || again.Unsubscribe == nil || !again.Unsubscribe.Already {
		t.Errorf("second processing = %+v; want a duplicate, already unsubscribed", again)
	}
	var sum inbox.Summary
	sum.Add(o)
	sum.Add(again)
	if w := (inbox.Summary{Messages: 2, Unsubscribes: 1, Duplicates: 1}); sum != w {
		t.Errorf("summary = %+v; want %+v", sum, w)
	}
}

func TestForgedTokensAreNotTrusted(t *testing.T) {
	e := newEnv(t)
	other, err := subscribers.NewTokens("another-secret-of-someone-else")
	if err != nil {
		t.Fatal(err)
	}
	forge := func(email, rcpt string) map[string]string {
		d := e.delivery[email]
		tok := other.Delivery(d.ID)
		v := e.vars(email)
		v["RCPT"], v["TOKEN"] = rcpt, tok
		v["VERP"] = subscribers.VERPAddress(bounceBase, tok)
		v["MSGID"] = tok + "@" + fromDomain
		return v
	}

	t.Run("delivery token, unknown recipient", func(t *testing.T) {
		o := e.process(fixture(t, "postfix-hard.eml", forge("ada@example.net", "nobody@example.net")))
		if !o.Unattributed || o.Duplicate {
			t.Errorf("outcome = %+v; want unattributed", o)
		}
		if got := e.status("ada@example.net"); got != subscribers.StatusActive {
			t.Errorf("ada = %s; want active", got)
		}
		if got := e.bounces("ada@example.net"); len(got) != 0 {
			t.Errorf("ada has bounces %+v; want none", got)
		}
		if again := e.process(fixture(t, "postfix-hard.eml", forge("ada@example.net", "nobody@example.net"))); !again.Duplicate {
			t.Errorf("second processing = %+v; want a duplicate", again)
		}
		if !strings.Contains(e.logs.String(), "invalid delivery token") {
			t.Errorf("no warning about the forged token in logs:\n%s", e.logs)
		}
	})
	t.Run("delivery token, subscriber's address", func(t *testing.T) {
		// The token is ignored; only the address attributes (ida was
		// mailed recently), so no campaign or delivery is credited.
		e.markSent("ida@example.net")
		o := e.process(fixture(t, "postfix-hard.eml", forge("ida@example.net", "ida@example.net")))
		if len(o.Recipients) != 1 || o.Recipients[0].Attribution != inbox.AttrAddress || o.Recipients[0].DeliveryID != 0 {
			t.Fatalf("recipients = %+v; want one attributed by address", o.Recipients)
		}
		if got := e.bounces("ida@example.net"); len(got) != 1 || got[0].CampaignID != 0 || got[0].DeliveryID != 0 {
			t.Errorf("bounce rows = %+v; want one without campaign", got)
		}
	})
	t.Run("unsubscribe token", func(t *testing.T) {
		v := e.vars("gus@example.net")
		gus := e.subscriber("gus@example.net")
		v["UNSUB"] = subscribers.VERPAddress(bounceBase, "unsub-"+other.Unsubscribe(
			subscribers.UnsubscribeRef{SubscriberID: gus.ID, ListID: e.listID}))
		o := e.process(fixture(t, "mailto-unsubscribe.eml", v))
		if o.Unsubscribe != nil || !o.Unattributed {
			t.Errorf("outcome = %+v; want unattributed, no unsubscribe", o)
		}
		if got := e.subscription("gus@example.net", listName); got != subscribers.Subscribed {
			t.Errorf("gus on %s = %s; want subscribed", listName, got)
		}
	})
}

func TestForwardedBounceStaysWithTheDeliverysSubscriber(t *testing.T) {
	e := newEnv(t)
	v := e.vars("ida@example.net")
	v["RCPT"] = "ida.smith@forwarded.example"
	o := e.process(fixture(t, "postfix-hard.eml", v))
	if len(o.Recipients) != 1 || o.Recipients[0].SubscriberID != e.delivery["ida@example.net"].SubscriberID {
		t.Fatalf("recipients = %+v; want ida's subscriber", o.Recipients)
	}
	if got := e.status("ida@example.net"); got != subscribers.StatusBounced {
		t.Errorf("ida = %s; want bounced", got)
	}
	if !strings.Contains(e.logs.String(), "forwarded") || !strings.Contains(e.logs.String(), "ida.smith@forwarded.example") {
		t.Errorf("the address mismatch was not logged:\n%s", e.logs)
	}
}

func TestAutoRepliesAndDelaysApplyNothing(t *testing.T) {
	e := newEnv(t)
	var sum inbox.Summary
	for _, tc := range []struct {
		fixture string
		want    bounce.Type
		delayed bool
	}{
		{"autoreply-ooo.eml", bounce.TypeAutoReply, false},
		{"postfix-delayed.eml", bounce.TypeBounce, true},
	} {
		o := e.process(fixture(t, tc.fixture, e.vars("hal@example.net")))
		if o.Type != tc.want || o.Delayed != tc.delayed || o.Ignored == "" || len(o.Recipients) != 0 {
			t.Errorf("%s: outcome = %+v; want type %s, ignored, nothing applied", tc.fixture, o, tc.want)
		}
		sum.Add(o)
	}
	if want := (inbox.Summary{Messages: 2, AutoReplies: 1, Delays: 1}); sum != want {
		t.Errorf("summary = %+v; want %+v", sum, want)
	}
	if got := e.status("hal@example.net"); got != subscribers.StatusActive {
		t.Errorf("hal = %s; want active", got)
	}
	if n := e.countBounces(); n != 0 {
		t.Errorf("%d bounce rows; want 0", n)
	}
}

func TestNotAMessage(t *testing.T) {
	e := newEnv(t)
	o, err := e.proc.Process(e.ctx, []byte("\x00\x01 binary junk without a header"), "junk")
	if !errors.Is(err, bounce.ErrNotMessage) || o.Error == "" {
		t.Errorf("Process(junk) = %+v, %v; want ErrNotMessage", o, err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	e := newEnv(t)
	for _, cfg := range []inbox.Config{
		{Tokens: e.tokens, BounceAddress: bounceBase},
		{Store: e.store, BounceAddress: bounceBase},
		{Store: e.store, Tokens: e.tokens, BounceAddress: "bounces"},
	} {
		if _, err := inbox.New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error; want one", cfg)
		}
	}
}

func TestInReplyToAttributesWhenNothingElseDoes(t *testing.T) {
	// A prose bounce without the original headers, at the plain bounce
	// address, that still references the original message.
	e := newEnv(t)
	v := e.vars("jo@example.net")
	v["TO"] = bounceBase
	raw := strings.Replace(string(fixture(t, "qmail-prose.eml", v)), "Subject: failure notice\n",
		"Subject: failure notice\nIn-Reply-To: <"+v["MSGID"]+">\n", 1)
	// The reported address is one Dispatch never mailed: only the
	// reference can attribute it.
	raw = strings.ReplaceAll(raw, "jo@example.net", "jo.old@example.net")
	o := e.process([]byte(raw))
	if len(o.Recipients) != 1 || o.Recipients[0].Attribution != inbox.AttrMessageID || o.Recipients[0].CampaignID != e.campaign.ID {
		t.Fatalf("recipients = %+v; want one attributed by message-id to the campaign", o.Recipients)
	}
	if got := e.status("jo@example.net"); got != subscribers.StatusBounced {
		t.Errorf("jo = %s; want bounced", got)
	}
}

// TestSenderRefusalIsNotTheRecipientsBounce: a DSN from a later hop saying
// it refused our envelope sender records nothing against the recipient,
// however often it arrives (before, three of these suppressed the address
// as soft bounces).
func TestSenderRefusalIsNotTheRecipientsBounce(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.net"
	var sum inbox.Summary
	for n := range 4 {
		v := e.vars(email)
		v["N"] = string(rune('1' + n))
		o := e.process(fixture(t, "postfix-sender-rejected.eml", v))
		if o.Type != bounce.TypeBounce || len(o.Recipients) != 0 || !strings.Contains(o.SenderRefused, "Sender address rejected") {
			t.Fatalf("outcome = %+v; want a bounce refused for the sender, nothing applied", o)
		}
		sum.Add(o)
	}
	if got := e.status(email); got != subscribers.StatusActive {
		t.Errorf("status = %s; want active", got)
	}
	if got := e.bounces(email); len(got) != 0 {
		t.Errorf("bounce rows = %+v; want none", got)
	}
	if sum.SenderRefusals != 4 || sum.Bounces != 0 {
		t.Errorf("summary = %+v; want 4 sender refusals, 0 bounces", sum)
	}
}
