package subscribers

import "time"

// DataExport is everything Dispatch holds about one person, as the
// preference centre's "download your data" gives it to them (the right of
// access, GDPR article 15): their profile, their subscriptions with the
// consent each rests on, and the history of events about them.
type DataExport struct {
	ExportedAt    time.Time            `json:"exported_at"`
	Profile       ExportProfile        `json:"profile"`
	Subscriptions []ExportSubscription `json:"subscriptions"`
	Events        []ExportEvent        `json:"events"`
}

// ExportProfile is the person's own record.
type ExportProfile struct {
	Email      string         `json:"email"`
	Name       string         `json:"name"`
	Attributes map[string]any `json:"attributes"`
	Status     Status         `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ExportSubscription is one list and the consent behind it.
type ExportSubscription struct {
	List           string             `json:"list"`
	Status         SubscriptionStatus `json:"status"`
	Consent        ExportConsent      `json:"consent"`
	UnsubscribedAt *time.Time         `json:"unsubscribed_at,omitempty"`
}

// ExportConsent is the consent record of a subscription: where and when
// it was given.
type ExportConsent struct {
	Source  string    `json:"source"`
	GivenAt time.Time `json:"given_at"`
}

// ExportEvent is one entry of the person's history.
type ExportEvent struct {
	At        time.Time `json:"at"`
	Type      string    `json:"type"`
	List      string    `json:"list,omitempty"`
	OldStatus string    `json:"old_status,omitempty"`
	NewStatus string    `json:"new_status,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// NewDataExport assembles a person's data. listNames names lists by id
// as recipients know them (events refer to lists by id).
func NewDataExport(sub *Subscriber, events []Event, listNames map[int64]string, now time.Time) DataExport {
	attrs := sub.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	x := DataExport{
		ExportedAt: now.UTC(),
		Profile: ExportProfile{Email: sub.Email, Name: sub.Name, Attributes: attrs, Status: sub.Status,
			CreatedAt: sub.CreatedAt.UTC(), UpdatedAt: sub.UpdatedAt.UTC()},
		Subscriptions: []ExportSubscription{},
		Events:        []ExportEvent{},
	}
	for _, l := range sub.Lists {
		es := ExportSubscription{List: l.DisplayName(), Status: l.Status,
			Consent: ExportConsent{Source: l.Source, GivenAt: l.ConsentedAt.UTC()}}
		if !l.UnsubscribedAt.IsZero() {
			t := l.UnsubscribedAt.UTC()
			es.UnsubscribedAt = &t
		}
		x.Subscriptions = append(x.Subscriptions, es)
	}
	for _, e := range events {
		x.Events = append(x.Events, ExportEvent{At: e.CreatedAt.UTC(), Type: e.Type, List: listNames[e.ListID],
			OldStatus: e.OldStatus, NewStatus: e.NewStatus, Actor: e.Actor, Reason: e.Reason})
	}
	return x
}
