package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestPagesShowListTitle: recipients see the list's title on every page,
// and its name only when it has no title.
func TestPagesShowListTitle(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.store.CreateList(ctx, subscribers.NewList{Name: "clients", Title: "Northwind Security Briefing"}); err != nil {
		t.Fatal(err)
	}
	sub := e.addSubscriber("carol@example.net", "clients", "staff")
	titled := e.unsubscribeURL(sub.ID, e.listID("clients"), 1)
	untitled := e.unsubscribeURL(sub.ID, e.listID("staff"), 1)

	steps := []struct {
		name, method, url, want string
	}{
		{name: "confirm", method: http.MethodGet, url: titled, want: "from <strong>Northwind Security Briefing</strong>?"},
		{name: "confirm untitled", method: http.MethodGet, url: untitled, want: "from <strong>staff</strong>?"},
		{name: "unsubscribed", method: http.MethodPost, url: titled, want: "unsubscribed from <strong>Northwind Security Briefing</strong>."},
		{name: "already left", method: http.MethodGet, url: titled, want: "not subscribed to <strong>Northwind Security Briefing</strong>."},
		{name: "resubscribed", method: http.MethodPost, url: titled + "/resubscribe", want: "subscribed to <strong>Northwind Security Briefing</strong> again."},
	}
	for _, st := range steps {
		var resp *http.Response
		var body string
		if st.method == http.MethodGet {
			resp, body = e.get(st.url)
		} else {
			resp, body = e.postForm(st.url, "scope=list")
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, st.want) {
			t.Errorf("%s: status %d; want 200 and %q in\n%s", st.name, resp.StatusCode, st.want, body)
		}
		if strings.Contains(body, ">clients<") {
			t.Errorf("%s: the page shows the internal name clients", st.name)
		}
	}

	// A link to a list the person never joined still names it by title.
	if _, err := e.store.CreateList(ctx, subscribers.NewList{Name: "vip", Title: "Inner Circle"}); err != nil {
		t.Fatal(err)
	}
	resp, body := e.get(e.unsubscribeURL(sub.ID, e.listID("vip"), 1))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<strong>Inner Circle</strong>") {
		t.Errorf("not a member: status %d; want the title Inner Circle in\n%s", resp.StatusCode, body)
	}
}
