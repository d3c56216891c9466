package templates

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Issue is one newsletter issue: YAML front matter plus a Markdown body.
type Issue struct {
	Path      string    // file the issue was read from; names it in checks
	ID        string    // campaign id; defaults to the file name without extension
	Subject   string    // required; may contain placeholders
	Preheader string    // optional inbox preview text; may contain placeholders
	From      string    // optional; overrides Config.From
	Layout    string    // optional layout path, relative to the issue's directory
	Date      time.Time // optional issue date
	Body      string    // Markdown, may contain placeholders
	// TrackClicks is the front matter's track_clicks: off, aggregate or
	// individual; "" leaves it to the list and the configuration.
	TrackClicks string

	// Lines of Path where the body and the subject and preheader values
	// start, so checks point at the right line. Zero means unknown.
	BodyLine      int
	SubjectLine   int
	PreheaderLine int
}

// frontMatter is the strict schema of an issue's front matter; unknown keys
// are an error so a typo ("subjet:") cannot silently drop a setting.
type frontMatter struct {
	Subject   string    `yaml:"subject"`
	Preheader string    `yaml:"preheader"`
	Date      issueDate `yaml:"date"`
	From      string    `yaml:"from"`
	Layout    string    `yaml:"layout"`
	ID        string    `yaml:"id"`
	// TrackClicks overrides the list's click tracking for this issue.
	TrackClicks string `yaml:"track_clicks"`
}

// issueDate decodes like time.Time but reports a bad value with its line;
// time.Parse errors reaching yaml carry none.
type issueDate struct{ time.Time }

func (d *issueDate) UnmarshalYAML(n *yaml.Node) error {
	if err := n.Decode(&d.Time); err != nil {
		return fmt.Errorf("line %d: date %q is not a date; write it as 2024-12-04", n.Line, n.Value)
	}
	return nil
}

const frontMatterKeys = "subject, preheader, date, from, layout, id, track_clicks"

// LoadIssue reads and parses the issue file at path. Parse problems are
// returned as a *CheckError naming the file and line.
func LoadIssue(path string) (*Issue, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load issue: %w", err)
	}
	return ParseIssue(path, src)
}

// ParseIssue parses an issue from src; name is used as its Path and in
// checks. It returns a *CheckError when the front matter is missing or
// malformed, has unknown keys, or lacks a subject.
func ParseIssue(name string, src []byte) (*Issue, error) {
	// YAML and CommonMark both end a line at LF, CRLF or a lone CR; make
	// them all LF, so that line numbers agree and re-parsing changes
	// nothing ("\r\r\n" is two line ends).
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	src = bytes.ReplaceAll(src, []byte("\r"), []byte("\n"))
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	var cs checks
	yamlSrc, body, bodyLine, ok := splitFrontMatter(src)
	if !ok {
		cs.errorf(name, 1, "missing front matter: the file must start with a line \"---\", then YAML with at least subject:, then \"---\"")
		return nil, cs.err()
	}
	var fm frontMatter
	dec := yaml.NewDecoder(bytes.NewReader(yamlSrc))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
		yamlChecks(&cs, name, err)
		return nil, cs.err()
	}
	lines := keyLines(yamlSrc)
	is := &Issue{
		Path:          name,
		ID:            strings.TrimSpace(fm.ID), // a blank id is no id: the file names the campaign
		Subject:       fm.Subject,
		Preheader:     fm.Preheader,
		From:          fm.From,
		Layout:        fm.Layout,
		Date:          fm.Date.Time,
		TrackClicks:   strings.TrimSpace(fm.TrackClicks),
		Body:          string(body),
		BodyLine:      bodyLine,
		SubjectLine:   lines["subject"],
		PreheaderLine: lines["preheader"],
	}
	if strings.TrimSpace(is.Subject) == "" {
		line := lines["subject"]
		if line == 0 {
			line = 1
		}
		cs.errorf(name, line, "front matter has no subject: add a line like subject: \"Weekly briefing\"")
	}
	if is.From != "" {
		if _, err := mail.ParseAddress(is.From); err != nil {
			cs.errorf(name, lines["from"], "from %q is not an email address: %v", is.From, err)
		}
	}
	switch is.TrackClicks {
	case "", "off", "aggregate", "individual":
	default:
		cs.errorf(name, lines["track_clicks"], "track_clicks %q: want off, aggregate or individual", is.TrackClicks)
	}
	if is.ID == "" {
		is.ID = slug(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	}
	if err := cs.err(); err != nil {
		return nil, err
	}
	return is, nil
}

// splitFrontMatter splits "---\nYAML\n---\nBODY". bodyLine is the line of
// src on which BODY starts.
func splitFrontMatter(src []byte) (yamlSrc, body []byte, bodyLine int, ok bool) {
	rest, found := bytes.CutPrefix(src, []byte("---\n"))
	if !found {
		return nil, nil, 0, false
	}
	line := 2
	for off := 0; off <= len(rest); {
		end := bytes.IndexByte(rest[off:], '\n')
		var l []byte
		next := len(rest) + 1
		if end >= 0 {
			l, next = rest[off:off+end], off+end+1
		} else {
			l = rest[off:]
		}
		if t := bytes.TrimRight(l, " \t"); bytes.Equal(t, []byte("---")) || bytes.Equal(t, []byte("...")) {
			if next > len(rest) {
				next = len(rest)
			}
			return rest[:off], rest[next:], line + 1, true
		}
		off = next
		line++
	}
	return nil, nil, 0, false
}

var (
	yamlLineRE    = regexp.MustCompile(`line (\d+): (.*)`)
	yamlUnknownRE = regexp.MustCompile(`^field (\S+) not found in type`)
)

// yamlChecks converts a yaml error into checks with file lines: the YAML
// document starts on line 2 of the file.
func yamlChecks(cs *checks, file string, err error) {
	msg := err.Error()
	found := false
	for _, l := range strings.Split(msg, "\n") {
		m := yamlLineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		found = true
		n, _ := strconv.Atoi(m[1])
		text := m[2]
		// yaml.v3 reports parser errors (all "did not find expected …")
		// with 0-based lines and scanner errors with 1-based ones.
		if strings.HasPrefix(text, "did not find expected") {
			n++
		}
		if u := yamlUnknownRE.FindStringSubmatch(text); u != nil {
			text = fmt.Sprintf("unknown front matter key %q (known keys: %s)", u[1], frontMatterKeys)
		} else {
			text = "front matter: " + text
		}
		cs.errorf(file, n+1, "%s", text)
	}
	if !found {
		cs.errorf(file, 1, "front matter: %s", strings.TrimPrefix(msg, "yaml: "))
	}
}

// keyLines maps each top-level front matter key to its file line.
func keyLines(yamlSrc []byte) map[string]int {
	lines := map[string]int{}
	var doc yaml.Node
	if err := yaml.Unmarshal(yamlSrc, &doc); err != nil || len(doc.Content) == 0 {
		return lines
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return lines
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		lines[m.Content[i].Value] = m.Content[i+1].Line + 1
	}
	return lines
}

// slug lowercases s and keeps letters, digits and single dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
