package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestSuppressionsSearchAndBlocklist(t *testing.T) {
	ctx := context.Background()
	tc := newTestConsole(t, console.Config{}, false)
	res, err := tc.store.AddSubscriber(ctx, subscribers.AddInput{Email: "bob@example.com", Lists: []string{"clients"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.store.Suppress(ctx, res.Subscriber.ID, subscribers.StatusBounced, 0, "bounce", "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	b := tc.browser()
	b.login(adminEmail, adminPassword)

	r := b.get("/suppressions")
	if r.status != http.StatusOK || !strings.Contains(r.body, "bob@example.com") || !strings.Contains(r.body, "550 5.1.1 no such user") {
		t.Fatalf("suppressions page: %d\n%s", r.status, mainText(r.body))
	}

	// Pasted: two new, one already suppressed, one not an address.
	r = b.post("/suppressions", url.Values{"addresses": {"trap@spam.example, other@spam.example\nbob@example.com\nbroken@\n"},
		"reason": {"spam traps"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("blocklist: %d %s", r.status, mainText(r.body))
	}
	r = b.get("/suppressions")
	if !strings.Contains(r.body, "Blocklisted 3; 0 already were") || !strings.Contains(r.body, "1 entries were not addresses") ||
		!strings.Contains(r.body, "trap@spam.example") {
		t.Errorf("after blocklisting:\n%s", mainText(r.body))
	}
	if sub, _ := tc.store.FindSubscriberByEmail(ctx, "bob@example.com"); sub.Status != subscribers.StatusBlocklisted {
		t.Errorf("bob = %s; want blocklisted (stronger than bounced)", sub.Status)
	}

	// Uploaded as a file.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf)
	mw.WriteField("reason", "from a file")
	fw, _ := mw.CreateFormFile("file", "list.csv")
	fw.Write([]byte("email,name\nfile@spam.example,X\n"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, tc.srv.URL+"/suppressions", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := b.do(req); r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.status, mainText(r.body))
	}
	if sub, err := tc.store.FindSubscriberByEmail(ctx, "file@spam.example"); err != nil || sub.Status != subscribers.StatusBlocklisted {
		t.Errorf("file@spam.example = %+v, %v", sub, err)
	}

	// Nothing usable: a message, nothing written.
	b.get("/suppressions")
	if r := b.post("/suppressions", url.Values{"addresses": {"just words"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "No address found") {
		t.Errorf("no addresses: %d %s", r.status, mainText(r.body))
	}
	if r := b.get("/suppressions?q=TRAP&status=blocklisted"); !strings.Contains(r.body, "trap@spam.example") || strings.Contains(r.body, ">bob@example.com<") {
		t.Errorf("search: %s", mainText(r.body))
	}
	if r := b.get("/suppressions?status=active"); r.status != http.StatusBadRequest {
		t.Errorf("status=active: %d", r.status)
	}
}
