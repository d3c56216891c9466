package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

type subscriptionJSON struct {
	List           string     `json:"list"`
	Status         string     `json:"status"`
	Source         string     `json:"source"`
	ConsentedAt    time.Time  `json:"consented_at"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
	// Basis is the lawful basis: consent, contract or legitimate-interest.
	Basis string `json:"basis"`
	// Consent is the record a subscribe form keeps; absent otherwise.
	Consent *consentJSON `json:"consent,omitempty"`
	// RequestedAt is when a form request still waiting for confirmation
	// was made.
	RequestedAt *time.Time `json:"requested_at,omitempty"`
}

// consentJSON is the consent record of a form subscription.
type consentJSON struct {
	Text      string `json:"text"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

type subscriberJSON struct {
	Email         string             `json:"email"`
	Name          string             `json:"name"`
	Status        string             `json:"status"`
	Attributes    map[string]any     `json:"attributes"`
	Lists         []string           `json:"lists"` // lists currently subscribed
	Subscriptions []subscriptionJSON `json:"subscriptions"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
	Events        []eventJSON        `json:"events,omitempty"`
}

type eventJSON struct {
	Type       string    `json:"type"`
	OldStatus  string    `json:"old_status,omitempty"`
	NewStatus  string    `json:"new_status,omitempty"`
	List       string    `json:"list,omitempty"`
	CampaignID int64     `json:"campaign_id,omitempty"`
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

func toSubscriberJSON(s *subscribers.Subscriber) subscriberJSON {
	out := subscriberJSON{Email: s.Email, Name: s.Name, Status: string(s.Status), Attributes: s.Attributes,
		Lists: []string{}, Subscriptions: []subscriptionJSON{}, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if out.Attributes == nil {
		out.Attributes = map[string]any{}
	}
	for _, l := range s.Lists {
		sj := subscriptionJSON{List: l.List, Status: string(l.Status), Source: l.Source, ConsentedAt: l.ConsentedAt, Basis: string(l.Basis)}
		if !l.UnsubscribedAt.IsZero() {
			t := l.UnsubscribedAt
			sj.UnsubscribedAt = &t
		}
		if l.ConsentText != "" || l.ConsentIP != "" || l.ConsentAgent != "" {
			sj.Consent = &consentJSON{Text: l.ConsentText, IP: l.ConsentIP, UserAgent: l.ConsentAgent}
		}
		if !l.RequestedAt.IsZero() {
			t := l.RequestedAt
			sj.RequestedAt = &t
		}
		out.Subscriptions = append(out.Subscriptions, sj)
		if l.Status == subscribers.Subscribed {
			out.Lists = append(out.Lists, l.List)
		}
	}
	return out
}

func newSubscribersCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "subscribers",
		Aliases: []string{"subscriber", "subs"},
		Short:   "Add, list, show, remove, blocklist and unsuppress subscribers",
		Example: `  dispatch subscribers add ada@example.com --name "Ada Lovelace" --list clients
  dispatch subscribers list --list clients --status active --json
  dispatch subscribers show ada@example.com
  dispatch subscribers export --list clients > clients.csv`,
	}
	cmd.AddCommand(newSubAddCmd(a), newSubListCmd(a), newSubShowCmd(a), newSubRemoveCmd(a),
		newSubBlocklistCmd(a), newSubExportCmd(a), newSubUnsuppressCmd(a), newSubPurgeUnconfirmedCmd(a))
	return cmd
}

func newSubAddCmd(a *app) *cobra.Command {
	var name string
	var lists, attrs []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Add a subscriber (or add an existing one to lists)",
		Long: `Add a subscriber. An existing subscriber is added to the given lists; their
name and attributes are kept. An address that unsubscribed, bounced,
complained, was blocklisted or removed is refused: only the person can
resubscribe.`,
		Example: `  dispatch subscribers add ada@example.com --name "Ada Lovelace" --list clients --attr company=Engines`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.createStore(cmd.Context())
			if err != nil {
				return err
			}
			am := map[string]any{}
			for _, kv := range attrs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usageError{fmt.Errorf("--attr %q: want key=value", kv)}
				}
				am[strings.TrimSpace(k)] = v
			}
			res, err := s.AddSubscriber(cmd.Context(), subscribers.AddInput{Email: args[0], Name: name, Attributes: am,
				Lists: lists, Source: "admin", Actor: "admin", MaxAttributesBytes: a.cfg.Import.MaxAttributesBytes})
			if err != nil {
				return err
			}
			if asJSON {
				sub, err := s.FindSubscriberByID(cmd.Context(), res.Subscriber.ID)
				if err != nil {
					return err
				}
				return printJSON(a.stdout, toSubscriberJSON(sub))
			}
			verb := "Added"
			if !res.Created {
				verb = "Found existing subscriber"
			}
			fmt.Fprintf(a.stdout, "%s %s", verb, res.Subscriber.Email)
			if len(res.Subscribed) > 0 {
				fmt.Fprintf(a.stdout, "; subscribed to %s", strings.Join(res.Subscribed, ", "))
			}
			fmt.Fprintln(a.stdout, ".")
			for _, l := range res.Skipped {
				fmt.Fprintf(a.stdout, "Not re-subscribed to %s: they unsubscribed from it.\n", l)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "full name")
	cmd.Flags().StringArrayVar(&lists, "list", nil, "list to subscribe to (repeatable; created if missing)")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "attribute key=value (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the subscriber as JSON")
	return cmd
}

func newSubListCmd(a *app) *cobra.Command {
	var list, status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List subscribers",
		Example: `  dispatch subscribers list --list clients
  dispatch subscribers list --status bounced --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := subscriberFilter(list, status)
			if err != nil {
				return err
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			w := bufio.NewWriter(a.stdout)
			defer w.Flush()
			n := 0
			if asJSON {
				// Streamed, so a million subscribers never sit in memory.
				w.WriteString("[")
				err = s.FindSubscribers(cmd.Context(), f, func(sub *subscribers.Subscriber) error {
					if n > 0 {
						w.WriteString(",")
					}
					n++
					w.WriteString("\n  ")
					b, err := json.Marshal(toSubscriberJSON(sub))
					if err != nil {
						return err
					}
					_, err = w.Write(b)
					return err
				})
				if n > 0 {
					w.WriteString("\n")
				}
				w.WriteString("]\n")
				return err
			}
			tw := newTable(w)
			fmt.Fprintln(tw, "EMAIL\tNAME\tSTATUS\tLISTS")
			err = s.FindSubscribers(cmd.Context(), f, func(sub *subscribers.Subscriber) error {
				n++
				j := toSubscriberJSON(sub)
				_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termSafe(j.Email), termSafe(j.Name), j.Status,
					strings.Join(termSafeAll(j.Lists), ","))
				return err
			})
			tw.Flush()
			fmt.Fprintf(w, "%s\n", plural(n, "subscriber", "subscribers"))
			return err
		},
	}
	cmd.Flags().StringVar(&list, "list", "", "only members of this list")
	cmd.Flags().StringVar(&status, "status", "", "only this status: active, unsubscribed, bounced, complained, blocklisted")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newSubShowCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show EMAIL",
		Short:   "Show a subscriber with their subscriptions and history",
		Example: `  dispatch subscribers show ada@example.com --json`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			sub, err := s.FindSubscriberByEmail(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			events, err := s.Events(cmd.Context(), sub.ID)
			if err != nil {
				return err
			}
			j := subscriberShow(cmd.Context(), s, sub, events)
			if asJSON {
				return printJSON(a.stdout, j)
			}
			return printSubscriber(a.stdout, j)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// subscriberShow is what `subscribers show` prints of sub: its JSON, with
// each event's list named.
func subscriberShow(ctx context.Context, s *sqlite.Store, sub *subscribers.Subscriber, events []subscribers.Event) subscriberJSON {
	listNames := map[int64]string{}
	for _, l := range sub.Lists {
		listNames[l.ListID] = l.List
	}
	j := toSubscriberJSON(sub)
	j.Events = []eventJSON{}
	for _, e := range events {
		name := listNames[e.ListID]
		if name == "" && e.ListID != 0 {
			if l, err := s.FindListByID(ctx, e.ListID); err == nil {
				name = l.Name
			}
		}
		j.Events = append(j.Events, eventJSON{Type: e.Type, OldStatus: e.OldStatus, NewStatus: e.NewStatus, List: name,
			CampaignID: e.CampaignID, Actor: e.Actor, Reason: e.Reason, At: e.CreatedAt})
	}
	return j
}

// printSubscriber writes j as `subscribers show` does without --json.
func printSubscriber(w io.Writer, j subscriberJSON) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "Email:\t%s\n", termSafe(j.Email))
	fmt.Fprintf(tw, "Name:\t%s\n", termSafe(j.Name))
	fmt.Fprintf(tw, "Status:\t%s\n", j.Status)
	fmt.Fprintf(tw, "Created:\t%s\n", j.CreatedAt.Format(time.RFC3339))
	keys := make([]string, 0, len(j.Attributes))
	for k := range j.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s:\t%s\n", termSafe(k), termSafe(fmt.Sprint(j.Attributes[k])))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nSubscriptions:")
	tw = newTable(w)
	for _, l := range j.Subscriptions {
		fmt.Fprintf(tw, "  %s\t%s\tsince %s\tvia %s\tbasis %s\n", termSafe(l.List), l.Status, l.ConsentedAt.Format(time.DateOnly), termSafe(l.Source), l.Basis)
		if l.RequestedAt != nil {
			fmt.Fprintf(tw, "  \twaiting for confirmation since %s\n", l.RequestedAt.Format(time.RFC3339))
		}
		if c := l.Consent; c != nil {
			fmt.Fprintf(tw, "  \tconsent: %q\n", termSafe(c.Text))
			fmt.Fprintf(tw, "  \tconfirmed at %s from %s, %s\n", l.ConsentedAt.Format(time.RFC3339), orDash(c.IP), termSafe(orDash(c.UserAgent)))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nHistory:")
	tw = newTable(w)
	for _, e := range j.Events {
		change := e.Type
		if e.NewStatus != "" && e.OldStatus != "" {
			change += fmt.Sprintf(" (%s → %s)", e.OldStatus, e.NewStatus)
		}
		if e.List != "" {
			change += " " + e.List
		}
		fmt.Fprintf(tw, "  %s\t%s\tby %s\t%s\n", e.At.Format("2006-01-02 15:04:05"), termSafe(change), termSafe(e.Actor), termSafe(e.Reason))
	}
	return tw.Flush()
}

func newSubRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Erase a subscriber's personal data, keeping them suppressed",
		Long: `Remove deletes the subscriber's address, name, attributes and subscriptions,
blanks the free text of their history, and deletes the bounce reports and the
invalid rows of imports that quote the address (a data-erasure request). A
one-way hash of the address is kept so that an import or add can never
mail them again.`,
		Example: `  dispatch subscribers remove ada@example.com`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := s.RemoveSubscriber(cmd.Context(), args[0], "admin"); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed %s; the address stays suppressed.\n", args[0])
			return nil
		},
	}
}

func newSubBlocklistCmd(a *app) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "blocklist EMAIL",
		Short:   "Never mail an address again",
		Example: `  dispatch subscribers blocklist trap@example.com --reason "spam trap"`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.createStore(cmd.Context())
			if err != nil {
				return err
			}
			sub, err := s.Blocklist(cmd.Context(), args[0], "admin", reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Blocklisted %s.\n", sub.Email)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the history")
	return cmd
}

func newSubExportCmd(a *app) *cobra.Command {
	var list, status string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write subscribers as CSV to stdout",
		Long: `Export writes email, name, status, lists, attributes (a JSON object),
created_at. The file imports back with 'dispatch import'.

A cell starting with =, +, -, @, a tab or a carriage return gets a leading
apostrophe, so that a spreadsheet shows it as text instead of running it as
a formula; the import removes the apostrophe again.`,
		Example: `  dispatch subscribers export --list clients > clients.csv`,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := subscriberFilter(list, status)
			if err != nil {
				return err
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			w := subscribers.NewExportWriter(a.rawStdout)
			err = s.FindSubscribers(cmd.Context(), f, w.Write)
			return errors.Join(err, w.Flush())
		},
	}
	cmd.Flags().StringVar(&list, "list", "", "only members of this list")
	cmd.Flags().StringVar(&status, "status", "", "only this status")
	return cmd
}

// subscriberFilter validates the --list and --status flags.
func subscriberFilter(list, status string) (subscribers.SubscriberFilter, error) {
	f := subscribers.SubscriberFilter{List: list}
	if status != "" {
		st, err := subscribers.ParseStatus(status)
		if err != nil {
			return f, usageError{err}
		}
		f.Status = st
	}
	return f, nil
}
