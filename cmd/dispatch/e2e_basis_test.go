package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The lawful basis and the opt-in mode through the real binary: import
// --basis, subscribers show (text and JSON), lists create/set --optin,
// and purge-unconfirmed.
func TestEndToEndBasisOptInAndPurge(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", fixture("mailchimp.csv"), "--list", "clients", "--basis", "contract"}, 0, ""},
		{[]string{"import", fixture("mailchimp.csv"), "--list", "news"}, 0, ""},
		{[]string{"import", fixture("mailchimp.csv"), "--list", "x", "--basis", "because"}, 2, "--basis: unknown lawful basis \"because\""},
		{[]string{"lists", "create", "quick", "--optin", "single"}, 0, `Created private list "quick"`},
		{[]string{"lists", "create", "bad", "--optin", "triple"}, 2, `--optin: unknown opt-in "triple"`},
		{[]string{"lists", "set", "news", "--optin", "single"}, 0, `Updated private list "news"`},
		{[]string{"subscribers", "purge-unconfirmed", "--older-than", "30d"}, 0, "Purged 0 unconfirmed subscriptions"},
		{[]string{"subscribers", "purge-unconfirmed", "--older-than", "soon"}, 2, "--older-than"},
	}
	for _, s := range steps {
		r := dispatch(t, dir, s.args...)
		if r.code != s.code || !strings.Contains(r.stdout+r.stderr, s.want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %d and %q", s.args, r.code, r.stdout, r.stderr, s.code, s.want)
		}
	}
	var lists []listJSON
	if err := json.Unmarshal([]byte(dispatch(t, dir, "lists", "--json").stdout), &lists); err != nil {
		t.Fatal(err)
	}
	optin := map[string]string{}
	for _, l := range lists {
		optin[l.Name] = l.OptIn
	}
	if optin["clients"] != "double" || optin["news"] != "single" || optin["quick"] != "single" {
		t.Errorf("opt-in of the lists: %v; want clients double, news and quick single", optin)
	}

	email := firstEmail(t, dir)
	r := dispatch(t, dir, "subscribers", "show", email, "--json")
	var sub subscriberJSON
	if err := json.Unmarshal([]byte(r.stdout), &sub); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.stdout)
	}
	basis := map[string]string{}
	for _, s := range sub.Subscriptions {
		basis[s.List] = s.Basis
	}
	if basis["clients"] != "contract" || basis["news"] != "consent" {
		t.Errorf("bases %v; want clients contract and news consent (the default)", basis)
	}
	r = dispatch(t, dir, "subscribers", "show", email)
	if !strings.Contains(r.stdout, "basis contract") || !strings.Contains(r.stdout, "basis consent") {
		t.Errorf("show prints no basis:\n%s", r.stdout)
	}
}

func firstEmail(t *testing.T, dir string) string {
	t.Helper()
	var subs []subscriberJSON
	r := dispatch(t, dir, "subscribers", "list", "--list", "clients", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &subs); err != nil || len(subs) == 0 {
		t.Fatalf("subscribers list: %v\n%s", err, r.stdout)
	}
	return subs[0].Email
}

func TestEndToEndListsForm(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dispatch.yaml", "web:\n  secret: "+strongSecret+"\n  base_url: https://news.example.com/letters/\n")
	if r := dispatch(t, dir, "lists", "create", "clients", "--title", "Northwind <Briefing>"); r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	r := dispatch(t, dir, "lists", "form", "clients")
	for _, want := range []string{`<form method="post" action="https://news.example.com/letters/subscribe/clients"`,
		`name="stamp" value="`, `name="via" value="embed"`, `name="email" type="email"`, `name="website"`, `tabindex="-1"`,
		"Northwind &lt;Briefing&gt; by email", "Subscribe to Northwind &lt;Briefing&gt;</button>"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("lists form: exit %d; want %q in\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "<script") || strings.Contains(r.stdout, "<style") {
		t.Errorf("the snippet carries script or style:\n%s", r.stdout)
	}
	if r := dispatch(t, dir, "lists", "form", "nope"); r.code != 1 || !strings.Contains(r.stderr, `"nope"`) {
		t.Errorf("unknown list: exit %d %q; want 1 naming it", r.code, r.stderr)
	}
}
