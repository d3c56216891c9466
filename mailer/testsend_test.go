package mailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/templates"
)

// TestSendTestCopy: one copy to any address, "[Test]" before the subject,
// outside the campaign.
func TestSendTestCopy(t *testing.T) {
	e := newEnv(t, 2)
	s, err := mailer.New(e.config(), e.store)
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendTest(context.Background(), mailer.TestMessage{Issue: e.issue, ListID: e.list.ID, ListName: e.list.Name,
		Recipient: templates.Recipient{Email: "editor@example.org", Name: "Édith Editor", Attributes: map[string]any{"company": "Acme"}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "editor@example.org" {
		t.Fatalf("server got %d messages (%v); want one to editor@example.org", len(msgs), msgs)
	}
	m := parseReceived(t, msgs[0])
	if subj, err := m.header.Subject(); err != nil || subj != "[Test] Weekly briefing for Édith" {
		t.Errorf("Subject = %q, %v; want [Test] Weekly briefing for Édith", subj, err)
	}
	to, err := m.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Édith Editor" {
		t.Errorf("To = %v, %v; want Édith Editor", to, err)
	}
	checkAlternative(t, m, "Édith Editor", "editor@example.org")
	if st := e.stats(t); st.Sent != 0 {
		t.Errorf("campaign stats = %+v; want the test copy kept out of it", st)
	}

	e.srv.FailRcpt("refused@example.org", 550, "5.1.1", "user unknown")
	err = s.SendTest(context.Background(), mailer.TestMessage{Issue: e.issue, ListID: e.list.ID, ListName: e.list.Name,
		Recipient: templates.Recipient{Email: "refused@example.org"}})
	if err == nil || !strings.Contains(err.Error(), "user unknown") {
		t.Errorf("refused test copy = %v; want the server's reply", err)
	}
}

// TestSendTransactional: one message outside any campaign with its
// subject as written (a subscribe form's confirmation).
func TestSendTransactional(t *testing.T) {
	e := newEnv(t, 1)
	s, err := mailer.New(e.config(), e.store)
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendTransactional(context.Background(), mailer.TestMessage{Issue: e.issue, ListID: e.list.ID, ListName: e.list.Name,
		Recipient: templates.Recipient{Email: "reader@example.org", Name: "Ada Reader"}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "reader@example.org" {
		t.Fatalf("server got %v; want one message to reader@example.org", msgs)
	}
	m := parseReceived(t, msgs[0])
	if subj, err := m.header.Subject(); err != nil || subj != "Weekly briefing for Ada" {
		t.Errorf("Subject = %q, %v; want it without [Test]", subj, err)
	}
	if st := e.stats(t); st.Sent != 0 {
		t.Errorf("campaign stats = %+v; want the message kept out of it", st)
	}
}
