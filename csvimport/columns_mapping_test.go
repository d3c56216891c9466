package csvimport_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

const crmCSV = "Organisation;Full Name;Work E-mail;Email;Notes;Given;Family\n" +
	"Engines;Ada Lovelace;ada@work.example;ada@home.example;likes maths;Ada;Lovelace\n" +
	"Navy;;grace@work.example;;;Grace;Hopper\n"

func TestImportMapping(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		email     string // the subscriber to check
		wantName  string
		wantAttrs map[string]any
	}{
		{
			name:     "email and attribute key",
			spec:     "email=Work E-mail,attr:company=Organisation,ignore=Notes",
			email:    "ada@work.example",
			wantName: "Ada Lovelace",
			// The detected email column lost its role: it is kept as an attribute.
			wantAttrs: map[string]any{"company": "Engines", "email": "ada@home.example", "given": "Ada", "family": "Lovelace"},
		},
		{
			name:      "first and last instead of the full name",
			spec:      "email=work e-mail,first=Given,last=Family,ignore=Full Name,ignore=Notes,ignore=Email,attr:org=Organisation",
			email:     "grace@work.example",
			wantName:  "Grace Hopper",
			wantAttrs: map[string]any{"org": "Navy"},
		},
		{
			name:     "no mapping: detected",
			spec:     "",
			email:    "ada@home.example",
			wantName: "Ada Lovelace",
			wantAttrs: map[string]any{"organisation": "Engines", "work_e_mail": "ada@work.example", "notes": "likes maths",
				"given": "Ada", "family": "Lovelace"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sqlitetest.Open(t)
			mp, err := subscribers.ParseMapping(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := csvimport.Import(context.Background(), s, "crm.csv", strings.NewReader(crmCSV),
				subscribers.ImportConfig{List: "clients", Mapping: mp}); err != nil {
				t.Fatalf("import with --map %q: %v", tc.spec, err)
			}
			sub := sqlitetest.FindByEmail(t, s, tc.email)
			if sub.Name != tc.wantName || !reflect.DeepEqual(sub.Attributes, tc.wantAttrs) {
				t.Errorf("with mapping %q: %s = name %q attrs %v; want %q %v", tc.spec, tc.email, sub.Name, sub.Attributes, tc.wantName, tc.wantAttrs)
			}
		})
	}
}

func TestImportMappingErrorsWriteNothing(t *testing.T) {
	tests := []struct {
		name, csv, spec, want string
	}{
		{"missing header", crmCSV, "email=Courriel", `column "Courriel", which is not in the header`},
		{"no email column", "Name,Company\nAda,Engines\n", "name=Name", `no email column among "Name", "Company"`},
		{"no email column without mapping", "Name,Company\nAda,Engines\n", "", "--map email=COLUMN"},
		{"a column twice", crmCSV, "email=Email,attr:x=email", `column "Email" is mapped twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sqlitetest.Open(t)
			mp, err := subscribers.ParseMapping(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			_, err = csvimport.Import(context.Background(), s, "crm.csv", strings.NewReader(tc.csv), subscribers.ImportConfig{List: "clients", Mapping: mp})
			var ie *subscribers.ImportError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "crm.csv: line 1") {
				t.Fatalf("import with mapping %q = %v; want an ImportError at crm.csv line 1 mentioning %q", tc.spec, err, tc.want)
			}
			if _, err := s.FindListByName(context.Background(), "clients"); !errors.Is(err, subscribers.ErrNotFound) {
				t.Errorf("a refused import created the list (err %v)", err)
			}
		})
	}
}
