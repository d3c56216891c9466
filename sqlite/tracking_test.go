package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestListTracking(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 1})
	lt, err := s.FindListTracking(ctx, seed.List.ID)
	if err != nil || lt.Clicks != "" || lt.Basis != "" {
		t.Fatalf("unset list tracking = %+v, %v; want empty", lt, err)
	}
	err = s.SetListTracking(ctx, subscribers.ListTracking{ListID: seed.List.ID, Clicks: subscribers.TrackIndividual,
		Basis: subscribers.BasisLegitimateInterest})
	if !errors.Is(err, subscribers.ErrTrackingBasis) {
		t.Fatalf("individual on legitimate interest: err = %v; want ErrTrackingBasis", err)
	}
	want := subscribers.ListTracking{ListID: seed.List.ID, Clicks: subscribers.TrackIndividual,
		Opens: subscribers.OpensAggregate, Basis: subscribers.BasisConsent}
	if err := s.SetListTracking(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindListTracking(ctx, seed.List.ID); err != nil || got != want {
		t.Fatalf("list tracking = %+v, %v; want %+v", got, err, want)
	}
}

func TestCampaignTrackingAndClicks(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 2, Campaign: &subscribers.NewCampaign{Slug: "c", Subject: "S"}})
	id := seed.Campaign.ID
	if ct, err := s.FindCampaignTracking(ctx, id); err != nil || !ct.Off() {
		t.Fatalf("untracked campaign = %+v, %v; want off", ct, err)
	}
	links := []subscribers.TrackedLink{{N: 1, URL: "https://a.example/", Section: "A"}, {N: 2, URL: "https://b.example/", Section: "B"}}
	ct := subscribers.CampaignTracking{CampaignID: id, Clicks: subscribers.TrackAggregate, Opens: subscribers.OpensAggregate}
	if err := s.SetCampaignTracking(ctx, ct, links); err != nil {
		t.Fatal(err)
	}
	// A second registration (a resumed send) changes nothing.
	again := subscribers.CampaignTracking{CampaignID: id, Clicks: subscribers.TrackOff, Opens: subscribers.OpensOff}
	if err := s.SetCampaignTracking(ctx, again, []subscribers.TrackedLink{{N: 1, URL: "https://evil.example/"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindCampaignTracking(ctx, id); err != nil || got != ct {
		t.Fatalf("campaign tracking = %+v, %v; want %+v", got, err, ct)
	}
	if got, err := s.FindCampaignLinks(ctx, id); err != nil || fmt.Sprint(got) != fmt.Sprint(links) {
		t.Fatalf("links = %+v, %v; want %+v", got, err, links)
	}

	h1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	deltas := []subscribers.ClickDelta{
		{CampaignID: id, N: 1, Hour: h1.Add(5 * time.Minute), Human: 3, Machine: 1, UniqueHumans: 2},
		{CampaignID: id, N: 1, Hour: h1.Add(time.Hour), Human: 1, UniqueHumans: 1},
		{CampaignID: id, N: 1, Hour: h1, Human: -1, Machine: 1}, // a late burst
	}
	opens := []subscribers.OpenDelta{{CampaignID: id, Hour: h1, Opens: 4}, {CampaignID: id, Hour: h1.Add(time.Minute), Opens: 1}}
	if err := s.AddClicks(ctx, deltas, nil, opens); err != nil {
		t.Fatal(err)
	}
	got, err := s.CampaignClicks(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.LinkClicks{{TrackedLink: links[0], Human: 3, Machine: 2, UniqueHumans: 3}, {TrackedLink: links[1]}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("clicks = %+v\nwant %+v", got, want)
	}
	hours, err := s.CampaignClickHours(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantHours := []subscribers.ClickHour{{Hour: h1, Human: 2, Machine: 2}, {Hour: h1.Add(time.Hour), Human: 1}}
	if fmt.Sprint(hours) != fmt.Sprint(wantHours) {
		t.Errorf("hours = %+v; want %+v", hours, wantHours)
	}
	oh, err := s.CampaignOpens(ctx, id)
	if err != nil || len(oh) != 1 || oh[0].Opens != 5 || !oh[0].Hour.Equal(h1) {
		t.Errorf("opens = %+v, %v; want 5 in %v", oh, err, h1)
	}

	ds := sqlitetest.Deliveries(t, s, id)
	ind := []subscribers.IndividualClick{{CampaignID: id, N: 2, DeliveryID: ds[0].ID, At: h1},
		{CampaignID: id, N: 2, DeliveryID: ds[0].ID, At: h1.Add(time.Second)}}
	if err := s.AddClicks(ctx, nil, ind, nil); err != nil {
		t.Fatal(err)
	}
	// A burst later shows the first one a scanner's: only it changes.
	if err := s.AddClicks(ctx, nil, []subscribers.IndividualClick{{CampaignID: id, N: 2, DeliveryID: ds[0].ID, At: h1,
		Machine: true, Reclassify: true}}, nil); err != nil {
		t.Fatal(err)
	}
	var machine []string
	for _, r := range sqlitetest.TrackingTables(t, s)["link_clicks_individual"].Rows {
		machine = append(machine, r[4])
	}
	if fmt.Sprint(machine) != "[1 0]" {
		t.Errorf("individual clicks' machine flags = %v; want [1 0]: two rows, the first reclassified", machine)
	}
	c, at, err := s.DeliverySentAt(ctx, ds[0].ID)
	if err != nil || c != id || !at.IsZero() {
		t.Errorf("DeliverySentAt(unsent) = %d, %v, %v; want %d, zero", c, at, err, id)
	}
	if _, _, err := s.DeliverySentAt(ctx, 9999); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("DeliverySentAt(unknown) err = %v; want ErrNotFound", err)
	}
	if last, err := s.CampaignLastSentAt(ctx, id); err != nil || !last.IsZero() {
		t.Errorf("CampaignLastSentAt(nothing sent) = %v, %v; want zero", last, err)
	}
}
