package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestCheckReportCache(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if _, _, err := s.FindCheckReport(ctx, "k"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Fatalf("empty cache: %v; want ErrNotFound", err)
	}
	t1 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := s.SaveCheckReport(ctx, "k", []byte(`{"a":1}`), t1); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(25 * time.Hour)
	if err := s.SaveCheckReport(ctx, "k", []byte(`{"a":2}`), t2); err != nil {
		t.Fatal(err)
	}
	got, at, err := s.FindCheckReport(ctx, "k")
	if err != nil || string(got) != `{"a":2}` || !at.Equal(t2) {
		t.Errorf("FindCheckReport = %s, %v, %v; want the newer report at %v", got, at, err, t2)
	}
	if _, _, err := s.FindCheckReport(ctx, "other"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("another key: %v; want ErrNotFound", err)
	}
}
