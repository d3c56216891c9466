package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// selfCommand is how to run this program again from the working
// directory, for the commands Dispatch tells people to type: "dispatch"
// when the PATH finds this binary, "go run ./cmd/dispatch" when it was
// started by go run (whose binary is temporary), else the path it was
// started by.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "dispatch"
	}
	if isGoRunBinary(exe) {
		if _, err := os.Stat(filepath.Join("cmd", "dispatch", "main.go")); err == nil {
			return "go run ./cmd/dispatch"
		}
		return "go run github.com/dispatchhq/dispatch/cmd/dispatch@latest"
	}
	arg0 := os.Args[0]
	if p, err := exec.LookPath(filepath.Base(arg0)); err == nil && !strings.ContainsRune(arg0, filepath.Separator) && sameFile(p, exe) {
		return shellQuote(arg0)
	}
	if strings.ContainsRune(arg0, filepath.Separator) && sameFile(arg0, exe) {
		return shellQuote(arg0)
	}
	return shellQuote(exe)
}

// goBuildCache matches the folder go run keeps a cached binary in:
// GOCACHE/xx/<sha256>-d/name (Go 1.24 and later).
var goBuildCache = regexp.MustCompile(`/[0-9a-f]{2}/[0-9a-f]{64}-d$`)

// isGoRunBinary reports whether exe was built by go run: in a go-build
// folder of the temporary directory, or in the build cache.
func isGoRunBinary(exe string) bool {
	dir := filepath.ToSlash(filepath.Dir(exe))
	return (strings.Contains(dir, "/go-build") && strings.HasSuffix(dir, "/exe")) || goBuildCache.MatchString(dir)
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
