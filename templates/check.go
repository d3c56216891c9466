package templates

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Severities of a Check.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Check is one finding about an issue: an error stops the issue from being
// compiled (and so sent); a warning is reported and the issue still compiles.
type Check struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
	// Setting names the Config field a finding about the configuration
	// (File "config") is about, e.g. "PostalAddress", so the caller can
	// say which of its own settings to change.
	Setting string `json:"setting,omitempty"`
}

// String formats the check as "file:line: severity: message".
func (c Check) String() string {
	var b strings.Builder
	if c.File != "" {
		b.WriteString(c.File)
		if c.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(c.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(c.Severity)
	b.WriteString(": ")
	b.WriteString(c.Message)
	return b.String()
}

// CheckError is returned by ParseIssue, LoadIssue and Compile when at least
// one check is an error. Checks holds every finding, warnings included.
type CheckError struct {
	Checks []Check
}

func (e *CheckError) Error() string {
	var lines []string
	for _, c := range e.Checks {
		if c.Severity == SeverityError {
			lines = append(lines, c.String())
		}
	}
	return strings.Join(lines, "\n")
}

// checks accumulates findings during parsing and compiling.
type checks []Check

func (cs *checks) errorf(file string, line int, format string, args ...any) {
	*cs = append(*cs, Check{Severity: SeverityError, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// configError records an error about Config field setting.
func (cs *checks) configError(setting, msg string) {
	*cs = append(*cs, Check{Severity: SeverityError, File: "config", Message: msg, Setting: setting})
}

func (cs *checks) warnf(file string, line int, format string, args ...any) {
	*cs = append(*cs, Check{Severity: SeverityWarning, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (cs checks) failed() bool {
	for _, c := range cs {
		if c.Severity == SeverityError {
			return true
		}
	}
	return false
}

func (cs checks) warnings() []Check {
	var w []Check
	for _, c := range cs {
		if c.Severity == SeverityWarning {
			w = append(w, c)
		}
	}
	return w
}

func (cs checks) err() error {
	if !cs.failed() {
		return nil
	}
	return &CheckError{Checks: append([]Check(nil), cs...)}
}

// templateErrRE matches the location prefix text/template and html/template
// put on parse and execution errors: "template: NAME:LINE: msg" or
// "template: NAME:LINE:COL: msg".
var templateErrRE = regexp.MustCompile(`^(?:html/)?template: ?(.*?):(\d+):(?:\d+:)? ?(.*)$`)

var startedAtRE = regexp.MustCompile(`started at (.*):(\d+)`)

// templateCheck turns a template error into a Check, keeping the line the
// template package reported. Our names are file paths, so the reported name
// is replaced by file.
func templateCheck(file string, err error) Check {
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	if m := templateErrRE.FindStringSubmatch(first); m != nil {
		line, _ := strconv.Atoi(m[2])
		msg := strings.TrimSpace(m[3])
		// "unclosed action started at NAME:6" is reported at the end of
		// the file; the line it started on is the useful one.
		if s := startedAtRE.FindStringSubmatch(msg); s != nil {
			line, _ = strconv.Atoi(s[2])
			msg = strings.Replace(msg, s[0], "started at line "+s[2], 1)
		}
		return Check{Severity: SeverityError, File: file, Line: line, Message: msg}
	}
	return Check{Severity: SeverityError, File: file, Message: msg}
}

// lineOf returns the 1-based line of byte offset off in src.
func lineOf(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	n := 1
	for _, c := range src[:off] {
		if c == '\n' {
			n++
		}
	}
	return n
}
