package main

import (
	"fmt"
	"log/slog"
)

// Log formats for long-running commands (serve --log-format).
const (
	logFormatText = "text"
	logFormatJSON = "json"
)

// serverLogger logs at info level (access logs) even without --verbose, in
// the one format the command chose (a.logFormat), so a log collector never
// sees two kinds of line from one process.
func (a *app) serverLogger() *slog.Logger {
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.logFormat == logFormatJSON {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// useServerLogs makes every log line of the command go through one
// serverLogger, after checking the format.
func (a *app) useServerLogs(format string) error {
	switch format {
	case logFormatText, logFormatJSON:
	default:
		return usageError{fmt.Errorf("--log-format %q: use text or json", format)}
	}
	a.logFormat = format
	a.logger = a.serverLogger()
	return nil
}
