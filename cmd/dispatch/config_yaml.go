package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlSyntaxError reports a YAML syntax error at the line that holds the
// mistake. The YAML library names the line where the enclosing block
// began (a wrongly indented key on line 9 of a section starting on line 7
// is "line 7"), so the line is found again: it is the first line after the
// longest start of the file that still parses.
func yamlSyntaxError(path string, data []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	msg := err.Error()[len(m[0]):]
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	line, _ := strconv.Atoi(m[1])
	for n := len(lines) - 1; n >= 0; n-- {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &doc) == nil {
			line = n + 1
			break
		}
	}
	text := ""
	if line >= 1 && line <= len(lines) {
		text = lines[line-1]
	}
	return fmt.Errorf("config %s: line %d: %s", path, line, explainYAML(msg, text))
}

// explainYAML says what the usual mistakes behind the library's messages
// are, keeping its words for reference.
func explainYAML(msg, text string) string {
	var why string
	switch {
	case strings.Contains(text, "\t") && (strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab character")):
		why = "a tab: YAML indents with spaces only"
	case strings.Contains(msg, "did not find expected key"):
		why = "this line is not indented like the keys above it"
	case strings.Contains(msg, "mapping values are not allowed"):
		why = "unexpected ':': this line is indented deeper than the key above it, or a value containing ': ' needs quotes"
	case strings.Contains(msg, "could not find expected ':'"):
		why = "a key without ':' after it"
	case strings.Contains(msg, "unexpected end of stream"), strings.Contains(msg, "did not find expected ',' or ']'"),
		strings.Contains(msg, "did not find expected ',' or '}'"):
		why = "a quote or bracket opened here is never closed"
	default:
		return msg
	}
	return why + " (" + msg + ")"
}
