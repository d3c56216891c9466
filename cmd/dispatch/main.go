// Command dispatch is an email newsletter sender: one binary, one SQLite
// file. See README.md for the command reference.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit status up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// run executes one command line and returns the exit status: 0 success,
// 1 failure, 2 usage error, 130 interrupted.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Human output is escaped on its way out (termsafe.go); data meant for
	// files (CSV export, rendered HTML) and progress bars use the raw streams.
	out, errOut := newTermWriter(stdout), newTermWriter(stderr)
	defer out.Flush()
	defer errOut.Flush()
	a := &app{
		stdin:     stdin,
		stdout:    out,
		stderr:    errOut,
		rawStdout: stdout,
		rawStderr: stderr,
		started:   time.Now(),
	}
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(errOut, "dispatch:", advise(ee.err))
		}
		return ee.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(errOut, "dispatch: interrupted")
		return 130
	case isUsageError(err):
		fmt.Fprintf(errOut, "dispatch: %v\nRun 'dispatch --help' for usage.\n", err)
		return 2
	}
	fmt.Fprintln(errOut, "dispatch:", advise(err))
	return 1
}
