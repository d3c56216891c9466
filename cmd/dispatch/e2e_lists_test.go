package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEndToEndListTitleAndRename(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"lists", "create", "clients", "--title", "Northwind Security Briefing"}, `shown to recipients as "Northwind Security Briefing"`},
		{[]string{"subscribers", "add", "ada@example.com", "--list", "clients"}, ""},
		{[]string{"lists", "set", "clients", "--description", "paying customers"}, `shown to recipients as "Northwind Security Briefing"`},
		{[]string{"lists", "rename", "clients", "northwind"}, `Renamed list "clients" to "northwind"`},
	}
	for _, s := range steps {
		r := dispatch(t, dir, s.args...)
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want 0 and %q", s.args, r.code, r.stdout, r.stderr, s.want)
		}
	}
	r := dispatch(t, dir, "lists", "--json")
	var lists []listJSON
	if err := json.Unmarshal([]byte(r.stdout), &lists); err != nil {
		t.Fatalf("lists --json: %v\n%s", err, r.stdout)
	}
	if len(lists) != 1 || lists[0].Name != "northwind" || lists[0].Title != "Northwind Security Briefing" ||
		lists[0].Description != "paying customers" || lists[0].Subscribed != 1 {
		t.Errorf("lists after rename = %+v; want northwind, titled, described, 1 subscriber", lists)
	}
	if st := status(t, dir, "ada@example.com"); st != "active" {
		t.Errorf("subscriber after rename: %s; want still active on the list", st)
	}

	errs := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lists", "set", "northwind"}, 2, "pass --title or --description"},
		{[]string{"lists", "set", "clients", "--title", "x"}, 1, `list "clients": not found`},
		{[]string{"lists", "set", "northwind", "--title", "a\nb"}, 1, "control character"},
		{[]string{"lists", "create", "staff", "--title", strings.Repeat("x", 201)}, 1, "longer than 200"},
		{[]string{"lists", "rename", "northwind"}, 2, ""},
	}
	for _, e := range errs {
		r := dispatch(t, dir, e.args...)
		if r.code != e.code || !strings.Contains(r.stderr, e.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", e.args, r.code, r.stderr, e.code, e.want)
		}
	}
	dispatch(t, dir, "lists", "create", "staff")
	if r := dispatch(t, dir, "lists", "rename", "northwind", "STAFF"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("rename onto an existing list: exit %d %q; want a refusal", r.code, r.stderr)
	}
	r = dispatch(t, dir, "lists", "set", "northwind", "--title", "")
	if r.code != 0 || !strings.Contains(r.stdout, "recipients see the name") {
		t.Errorf("clearing the title: exit %d %q", r.code, r.stdout)
	}
}
