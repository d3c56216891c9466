package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/templates"
)

// TestAdviseNamesTheSettingsOfLibraryErrors: mailer reports what is
// missing in its own terms; the command adds the keys that fix it.
func TestAdviseNamesTheSettingsOfLibraryErrors(t *testing.T) {
	_, err := mailer.New(mailer.Config{}, nil)
	if err == nil {
		t.Fatal("mailer.New accepted an empty Config")
	}
	if strings.Contains(err.Error(), "web.") || strings.Contains(err.Error(), "smtp.") {
		t.Errorf("mailer error speaks of configuration keys: %v", err)
	}
	got := advise(err).Error()
	for _, want := range []string{"mailer: no SMTP relay configured", "set smtp.host", "set sender.from", "set web.secret", "set web.base_url"} {
		if !strings.Contains(got, want) {
			t.Errorf("advised error lacks %q:\n%s", want, got)
		}
	}
	if !errors.Is(advise(err), mailer.ErrNoRelay) {
		t.Error("advice hides the library's error from errors.Is")
	}
	plain := errors.New("open dispatch.db: permission denied")
	if advise(plain) != plain {
		t.Errorf("advise changed an error it has no advice for: %v", advise(plain))
	}
}

func TestCheckLineNamesTheConfigKey(t *testing.T) {
	_, err := templates.Compile(&templates.Issue{Subject: "s", Body: "body"}, templates.Config{ListName: "l", From: "a@example.com"})
	var ce *templates.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile without a postal address = %v, want a CheckError", err)
	}
	var lines []string
	for _, c := range ce.Checks {
		lines = append(lines, checkLine(c))
	}
	want := "config: error: no postal address: every issue must show the sender's postal address (set sender.postal_address)"
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Errorf("checks = %q, want a line %q", lines, want)
	}
}
