// Package pagemail renders and sends the mail the public pages ask for
// (web.Mail: a subscribe form's confirmation, …): each kind is an issue
// (Markdown with front matter) rendered with the sender's layout by
// package templates, and sent on its own through the configured relay by
// the mailer. It is the web.MailSender that `dispatch serve` gives the
// web server's mail queue; web itself knows neither SMTP nor templates.
package pagemail

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/web"
)

// Config configures a Mailer.
type Config struct {
	// Sender sends the messages. Required.
	Sender *mailer.Sender
	// Templates is the renderer's configuration for a list (its title goes
	// in the footer). Required.
	Templates func(listName string) templates.Config
	// Confirm is the confirmation issue; nil means web.DefaultConfirmMail.
	// ConfirmName names it in errors.
	Confirm     []byte
	ConfirmName string
	// ConfirmDays is how many days a confirmation link works, printed by
	// {{ .Attr "confirm_days" }}.
	ConfirmDays int
}

// Mailer implements web.MailSender. Safe for concurrent use.
type Mailer struct {
	cfg   Config
	issue *templates.Issue

	mu       sync.Mutex
	compiled map[string]*templates.Compiled // by list title
}

// New parses and compiles the templates once, so that a broken one stops
// serve when it starts rather than failing each mail.
func New(cfg Config) (*Mailer, error) {
	if cfg.Sender == nil || cfg.Templates == nil {
		return nil, errors.New("pagemail: sender and templates are required")
	}
	if cfg.Confirm == nil {
		cfg.Confirm, cfg.ConfirmName = web.DefaultConfirmMail(), "confirm.md (built in)"
	}
	is, err := templates.ParseIssue(cfg.ConfirmName, cfg.Confirm)
	if err != nil {
		return nil, fmt.Errorf("confirmation template: %w", err)
	}
	m := &Mailer{cfg: cfg, issue: is, compiled: map[string]*templates.Compiled{}}
	if _, err := m.compile("Newsletter"); err != nil {
		return nil, fmt.Errorf("confirmation template %s: %w", cfg.ConfirmName, err)
	}
	return m, nil
}

func (m *Mailer) compile(listName string) (*templates.Compiled, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.compiled[listName]; ok {
		return c, nil
	}
	c, err := templates.Compile(m.issue, m.cfg.Templates(listName))
	if err != nil {
		return nil, err
	}
	m.compiled[listName] = c
	return c, nil
}

// SendMail renders and sends one message.
func (m *Mailer) SendMail(ctx context.Context, mail web.Mail) error {
	if mail.Kind != web.MailConfirm {
		return fmt.Errorf("pagemail: no template for %q mail", mail.Kind)
	}
	issue, err := m.compile(mail.ListName)
	if err != nil {
		return fmt.Errorf("render the confirmation: %w", err)
	}
	return m.cfg.Sender.SendTransactional(ctx, mailer.TestMessage{
		Issue: issue,
		Recipient: templates.Recipient{Email: mail.To, Name: mail.Name, Attributes: map[string]any{
			"confirm_url": mail.URL, "list": mail.ListName, "confirm_days": strconv.Itoa(m.cfg.ConfirmDays)}},
		SubscriberID: mail.SubscriberID, ListID: mail.ListID, ListName: mail.ListName,
	})
}
