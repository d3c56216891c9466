package templates_test

import (
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// TestTextPartManageLine: the text part points to the preference centre
// when the recipient has one, and has no "Manage your subscription" line
// leading nowhere when not; the unsubscribe line stays either way. The
// example issue renders on the program path, so this is that path's
// answer (verifyPrograms holds it to the template package's).
func TestTextPartManageLine(t *testing.T) {
	c := mustCompileExample(t)
	if !c.FastPath() {
		t.Fatal("the example issue left the program path")
	}
	for _, tc := range []struct {
		name, manageURL, want string
	}{
		{name: "with a manage URL", manageURL: "https://news.example.com/manage/tok",
			want: "Unsubscribe: https://news.example.com/u/tok\nManage your subscription: https://news.example.com/manage/tok\n\nNorthwind"},
		{name: "without", manageURL: "",
			want: "Unsubscribe: https://news.example.com/u/tok\n\nNorthwind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := templates.SampleRecipient()
			r.UnsubscribeURL, r.ManageURL = "https://news.example.com/u/tok", tc.manageURL
			out, err := c.Render(r)
			if err != nil {
				t.Fatal(err)
			}
			text := string(out.Text)
			if !strings.Contains(text, tc.want) {
				t.Errorf("text part footer:\n%s\nwant it to contain\n%s", text[max(0, strings.Index(text, "Unsubscribe:")):], tc.want)
			}
			if tc.manageURL == "" && strings.Contains(text, "Manage your subscription") {
				t.Error("the text part offers a manage link the recipient does not have")
			}
		})
	}
}
