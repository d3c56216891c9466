package sqlite_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// messyCSV is what a firm's spreadsheet gives: a BOM, semicolons, an email
// header Dispatch does not know, a duplicate and an invalid row.
const messyCSV = "\ufeffNom complet;Adresse électronique;Société\n" +
	"Ada Lovelace;ada@example.com;Engines\n" +
	"Bob;bob-at-example.com;\n" +
	"Ada L.;ADA@example.com;Engines\n" +
	"Grace Hopper;grace@example.com;Navy\n"

func TestPreviewImport(t *testing.T) {
	p, err := sqlite.PreviewImport(strings.NewReader(messyCSV), sqlite.PreviewConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Encoding != "utf-8" || p.Delimiter != ";" || !strings.Contains(p.MappingErr, "no email column") ||
		strings.Join(p.Header, "|") != "Nom complet|Adresse électronique|Société" || len(p.Rows) != 4 {
		t.Fatalf("preview without a mapping = %+v; want utf-8, ';', no email column, the header and 4 rows", p)
	}

	mp, _ := subscribers.ParseMapping("email=Adresse électronique,name=Nom complet,attr:company=Société")
	p, err = sqlite.PreviewImport(strings.NewReader(messyCSV), sqlite.PreviewConfig{Mapping: mp, Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.MappingErr != "" || len(p.Rows) != 2 {
		t.Fatalf("preview with a mapping = %+v", p)
	}
	wantCols := []sqlite.PreviewColumn{{Header: "Nom complet", Role: "name"}, {Header: "Adresse électronique", Role: "email"},
		{Header: "Société", Role: "attr", Key: "company"}}
	if !reflect.DeepEqual(p.Columns, wantCols) {
		t.Errorf("columns = %+v; want %+v", p.Columns, wantCols)
	}
	r0, r1 := p.Rows[0], p.Rows[1]
	if r0.Line != 2 || r0.Email != "ada@example.com" || r0.Name != "Ada Lovelace" || r0.Attributes["company"] != "Engines" || r0.Invalid != "" {
		t.Errorf("row 1 = %+v", r0)
	}
	if r1.Line != 3 || r1.Invalid == "" {
		t.Errorf("row 2 = %+v; want invalid", r1)
	}

	// The preview's mapping, spelled out, imports exactly as the one given.
	ctx := context.Background()
	s := mustOpen(t)
	res, err := s.Import(ctx, "messy.csv", strings.NewReader(messyCSV), subscribers.ImportConfig{List: "c", Mapping: p.Mapping, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Duplicates != 1 || res.InvalidCount != 1 {
		t.Errorf("dry run with the preview's mapping = %+v", res)
	}
}

func TestPreviewImportRefusesWhatIsNotCSV(t *testing.T) {
	for name, in := range map[string]string{
		"xlsx":  "PK\x03\x04 workbook",
		"empty": "",
	} {
		if _, err := sqlite.PreviewImport(strings.NewReader(in), sqlite.PreviewConfig{}); err == nil {
			t.Errorf("%s: previewed", name)
		}
	}
}

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
