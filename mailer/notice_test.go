package mailer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestSendNotice(t *testing.T) {
	srv := smtptest.NewServer(t)
	tokens, _ := subscribers.NewTokens("notice-test-secret-0123456789")
	s, err := mailer.New(mailer.Config{
		Relays: []mailer.Relay{{Host: srv.Host(), Port: srv.Port(), TLS: tlsmode.None, Timeout: 10 * time.Second}},
		From:   "Briefing <briefing@example.com>", BounceAddress: "bounces@example.com", BaseURL: "https://n.example", Tokens: tokens,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendNotice(context.Background(), mailer.Notice{To: "ada@example.com", Subject: "Manage your subscription — Briefing",
		Text: "Hello,\n\nhttps://n.example/manage/abc\n"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ada@example.com" || msgs[0].From != "bounces@example.com" {
		t.Fatalf("messages = %+v", msgs)
	}
	data := string(msgs[0].Data)
	for _, want := range []string{"From: \"Briefing\" <briefing@example.com>\r\n", "To: <ada@example.com>\r\n",
		"Auto-Submitted: auto-generated\r\n", "Content-Type: text/plain; charset=UTF-8\r\n", "https://n.example/manage/abc\r\n",
		"Subject: =?UTF-8?q?Manage_your_subscription_=E2=80=94_Briefing?="} {
		if !strings.Contains(data, want) {
			t.Errorf("notice lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(data, "List-Unsubscribe") {
		t.Errorf("a notice carries list headers")
	}
	if err := s.SendNotice(context.Background(), mailer.Notice{To: "Ada <ada@example.com>"}); err == nil {
		t.Errorf("a notice to a named address was accepted")
	}
}
