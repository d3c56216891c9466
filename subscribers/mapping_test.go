package subscribers_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestParseMapping(t *testing.T) {
	tests := []struct {
		spec    string
		want    *subscribers.Mapping
		wantErr string
	}{
		{spec: "", want: &subscribers.Mapping{}},
		{spec: "email=E-mail,name=Full Name,attr:company=Organisation", want: &subscribers.Mapping{
			Email: "E-mail", Name: "Full Name", Attributes: []subscribers.AttributeColumn{{Column: "Organisation", Key: "company"}}}},
		{spec: "email=Mail, first=Given, first=Middle, last=Family, status=State, ignore=Notes, ignore=Phone",
			want: &subscribers.Mapping{Email: "Mail", First: []string{"Given", "Middle"}, Last: "Family", Status: "State",
				Ignore: []string{"Notes", "Phone"}}},
		{spec: `email=E,"attr:Job Title=Role, current"`, want: &subscribers.Mapping{Email: "E",
			Attributes: []subscribers.AttributeColumn{{Column: "Role, current", Key: "job_title"}}}},
		{spec: "email", wantErr: "want role=Column"},
		{spec: "email=", wantErr: "name the column"},
		{spec: "phone=Tel", wantErr: `unknown role "phone"`},
		{spec: "email=A,email=B", wantErr: "email is mapped twice"},
		{spec: "attr:=Org", wantErr: "attr: needs a key"},
		{spec: "attr:x=A,attr:x=B", wantErr: `attribute "x" is mapped twice`},
	}
	for _, tc := range tests {
		got, err := subscribers.ParseMapping(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMapping(%q) error = %v; want one mentioning %q", tc.spec, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMapping(%q): %v", tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMapping(%q) = %+v; want %+v", tc.spec, got, tc.want)
		}
		// String round-trips.
		back, err := subscribers.ParseMapping(got.String())
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("ParseMapping(%q.String() = %q) = %+v, %v; want %+v", tc.spec, got.String(), back, err, got)
		}
	}
}
