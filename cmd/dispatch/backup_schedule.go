package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/sqlite"
)

// startScheduledBackups takes rotating backups from `dispatch serve` when
// backup.dir is set. A failed backup is logged and tried again at the next
// tick: it must never stop unsubscribes from being served.
func (a *app) startScheduledBackups(ctx context.Context, g *errgroup.Group, dbPath string) {
	c := a.cfg.Backup
	if c.Dir == "" {
		return
	}
	kept := fmt.Sprintf("keeping the newest %d", c.Keep)
	if c.Keep == 0 {
		kept = "keeping all"
	}
	// The schedule survives restarts: the next backup is due one interval
	// after the newest one already in the folder.
	// A folder that cannot be read is reported by the first backup, at once.
	var first time.Duration
	if last, err := sqlite.NewestRotatedBackup(dbPath, c.Dir); err == nil && !last.IsZero() {
		first = max(0, time.Until(last.Add(c.Interval)))
	}
	fmt.Fprintf(a.stdout, "Backing up %s to %s every %s, %s (next in %s).\n",
		absPath(dbPath), absPath(c.Dir), shortDuration(c.Interval), kept, shortDuration(first.Round(time.Second)))
	log := a.serverLogger()
	g.Go(func() error {
		runBackupSchedule(ctx, log, dbPath, c, first)
		return nil
	})
}

// runBackupSchedule takes a backup after first, then every c.Interval,
// until ctx ends.
func runBackupSchedule(ctx context.Context, log *slog.Logger, dbPath string, c BackupConfig, first time.Duration) {
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		info, removed, err := sqlite.RotatedBackup(ctx, dbPath, c.Dir, c.Keep, time.Now(), c.options())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("scheduled backup failed; serving goes on, the next try is in one interval",
				"dir", c.Dir, "next", shortDuration(c.Interval), "error", err)
		default:
			log.Info("scheduled backup", "path", info.Path, "bytes", info.Bytes,
				"seconds", fmt.Sprintf("%.2f", info.Seconds), "subscribers", info.Counts.Subscribers,
				"events", info.Counts.Events, "removed", len(removed))
		}
		timer.Reset(c.Interval)
	}
}

// shortDuration prints 24h for 24h0m0s and 5m for 5m0s:
// the trailing zero units Duration.String adds read as noise.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
