package csvimport_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
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
	p, err := csvimport.PreviewImport(strings.NewReader(messyCSV), csvimport.PreviewConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Encoding != "utf-8" || p.Delimiter != ";" || !strings.Contains(p.MappingErr, "no email column") ||
		strings.Join(p.Header, "|") != "Nom complet|Adresse électronique|Société" || len(p.Rows) != 4 {
		t.Fatalf("preview without a mapping = %+v; want utf-8, ';', no email column, the header and 4 rows", p)
	}

	mp, _ := subscribers.ParseMapping("email=Adresse électronique,name=Nom complet,attr:company=Société")
	p, err = csvimport.PreviewImport(strings.NewReader(messyCSV), csvimport.PreviewConfig{Mapping: mp, Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.MappingErr != "" || len(p.Rows) != 2 {
		t.Fatalf("preview with a mapping = %+v", p)
	}
	wantCols := []csvimport.PreviewColumn{{Header: "Nom complet", Role: "name"}, {Header: "Adresse électronique", Role: "email"},
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
	s := sqlitetest.Open(t)
	res, err := csvimport.Import(ctx, s, "messy.csv", strings.NewReader(messyCSV), subscribers.ImportConfig{List: "c", Mapping: p.Mapping, DryRun: true})
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
		if _, err := csvimport.PreviewImport(strings.NewReader(in), csvimport.PreviewConfig{}); err == nil {
			t.Errorf("%s: previewed", name)
		}
	}
}
