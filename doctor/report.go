package doctor

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Status is the verdict of one check.
type Status int

const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	default:
		return "FAIL"
	}
}

// MarshalText keeps the JSON form readable: "ok", "warn", "fail".
func (s Status) MarshalText() ([]byte, error) { return []byte(strings.ToLower(s.String())), nil }

// UnmarshalText reads what MarshalText writes, for cached reports.
func (s *Status) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "ok":
		*s = OK
	case "warn":
		*s = Warn
	case "fail":
		*s = Fail
	default:
		return fmt.Errorf("doctor: unknown status %q", b)
	}
	return nil
}

// Group names the part of the path to the inbox a check is about.
type Group string

const (
	GroupConfig   Group = "config"
	GroupDNS      Group = "dns"
	GroupRelay    Group = "relay"
	GroupOneClick Group = "one-click"
	GroupMessage  Group = "message"
)

// Result is one check's outcome. Fix, when set, says what to change,
// down to the record to publish where it can be computed.
type Result struct {
	Group   Group  `json:"group"`
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is a list of results in the order the checks ran.
type Report struct {
	Results []Result  `json:"checks"`
	Checked time.Time `json:"checked_at"`
}

func (r *Report) add(g Group, name string, s Status, msg, fix string) {
	r.Results = append(r.Results, Result{Group: g, Name: name, Status: s, Message: msg, Fix: fix})
}

func (r *Report) ok(g Group, name, msg string) { r.add(g, name, OK, msg, "") }

// Merge appends another report's results.
func (r *Report) Merge(o Report) { r.Results = append(r.Results, o.Results...) }

// Count returns how many results have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Count(Fail) > 0 }

// MarshalJSON adds the totals a script wants first.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		OK    bool `json:"ok"`
		Fails int  `json:"fails"`
		Warns int  `json:"warnings"`
		plain
	}{!r.Failed(), r.Count(Fail), r.Count(Warn), plain(r)})
}
