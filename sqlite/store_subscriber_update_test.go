package sqlite_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestExportWriterNeutralisesEveryCell(t *testing.T) {
	var buf bytes.Buffer
	w := subscribers.NewExportWriter(&buf)
	sub := &subscribers.Subscriber{Email: "=x@example.com", Name: "+SUM(A1)", Status: subscribers.StatusActive,
		Attributes: map[string]any{"a": "b"}, Lists: []subscribers.Subscription{{List: "@list", Status: subscribers.Subscribed}}}
	if err := w.Write(sub); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("export = %q, %v", buf.String(), err)
	}
	for i, cell := range recs[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("cell %d %q starts with a formula character", i, cell)
		}
	}
	if recs[1][0] != "'=x@example.com" || recs[1][3] != "'@list" {
		t.Errorf("row = %q", recs[1])
	}

	buf.Reset()
	err = subscribers.WriteInvalidRows(&buf, func(yield func(subscribers.InvalidRow) error) error {
		return yield(subscribers.InvalidRow{Line: 3, Value: "-2+3", Error: "missing @"})
	})
	if err != nil || buf.String() != "line,value,reason\n3,'-2+3,missing @\n" {
		t.Errorf("invalid rows CSV = %q, %v", buf.String(), err)
	}
}

func TestUpdateSubscriber(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "ada@example.com", Name: "Ada", Lists: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blocklist(ctx, "ada@example.com", "admin", ""); err != nil {
		t.Fatal(err)
	}
	name := "Ada Lovelace"
	sub, err := s.UpdateSubscriber(ctx, res.Subscriber.ID, subscribers.SubscriberUpdate{Name: &name,
		Attributes: map[string]any{"company": "Engines"}}, "console:admin@firm.example")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Name != name || sub.Attributes["company"] != "Engines" || sub.Status != subscribers.StatusBlocklisted {
		t.Errorf("after update = %+v; want the new name and attributes, still blocklisted", sub)
	}
	events, _ := s.Events(ctx, sub.ID)
	last := events[len(events)-1]
	if last.Type != subscribers.EventUpdated || last.Actor != "console:admin@firm.example" {
		t.Errorf("last event = %+v; want updated by the console user", last)
	}
	// No change, no event.
	if _, err := s.UpdateSubscriber(ctx, sub.ID, subscribers.SubscriberUpdate{Name: &name}, "x"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Events(ctx, sub.ID); len(again) != len(events) {
		t.Errorf("an update that changed nothing recorded an event")
	}
	big := map[string]any{"x": strings.Repeat("y", 70000)}
	if _, err := s.UpdateSubscriber(ctx, sub.ID, subscribers.SubscriberUpdate{Attributes: big}, "x"); err == nil {
		t.Error("attributes over the limit were stored")
	}
}
