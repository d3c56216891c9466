package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestLeaseLifecycle(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	a := subscribers.LeaseOwner{Host: "h", PID: 1, Process: "send", Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := a
	b.PID = 2
	never := func(subscribers.Lease) bool { return false }
	always := func(subscribers.Lease) bool { return true }

	if _, err := s.FindLease(ctx, "campaign/1"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Fatalf("FindLease of no lease = %v; want ErrNotFound", err)
	}
	if _, err := s.AcquireLease(ctx, "campaign/1", a, never); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "campaign/1", a, never); err != nil {
		t.Errorf("AcquireLease again by its holder = %v; want nil", err)
	}
	var held *subscribers.LeaseHeldError
	if _, err := s.AcquireLease(ctx, "campaign/1", b, never); !errors.As(err, &held) || held.Lease.Owner.PID != 1 {
		t.Fatalf("AcquireLease by another = %v; want LeaseHeldError naming pid 1", err)
	}
	if err := s.RenewLease(ctx, "campaign/1", a, "waiting for the rate"); err != nil {
		t.Fatal(err)
	}
	l, err := s.FindLease(ctx, "campaign/1")
	if err != nil || l.Note != "waiting for the rate" || !l.Owner.Same(a) || !l.HeartbeatAt.After(l.AcquiredAt) {
		t.Fatalf("FindLease = %+v, %v; want a's lease with the note and a later heartbeat", l, err)
	}
	if _, err := s.AcquireLease(ctx, "campaign/1", b, always); err != nil {
		t.Fatalf("AcquireLease over a stale holder = %v", err)
	}
	if err := s.RenewLease(ctx, "campaign/1", a, ""); !errors.Is(err, subscribers.ErrLeaseLost) {
		t.Errorf("RenewLease by the old holder = %v; want ErrLeaseLost", err)
	}
	if err := s.ReleaseLease(ctx, "campaign/1", a); err != nil {
		t.Errorf("ReleaseLease by the old holder = %v; want nil (nothing to give up)", err)
	}
	if _, err := s.FindLease(ctx, "campaign/1"); err != nil {
		t.Errorf("the old holder's release removed b's lease: %v", err)
	}
	if err := s.ReleaseLease(ctx, "campaign/1", b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindLease(ctx, "campaign/1"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("FindLease after release = %v; want ErrNotFound", err)
	}
}
