package main

import "log/slog"

// serverLogger logs at info level (access logs) even without --verbose.
func (a *app) serverLogger() *slog.Logger {
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}
