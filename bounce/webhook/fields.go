package webhook

import (
	"encoding/json"
	"maps"
	"net/textproto"
	"regexp"
	"strings"
	"time"
)

// statusRE matches an RFC 3463 enhanced status code: class.subject.detail,
// class 2, 4 or 5, subject and detail up to three digits.
var statusRE = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)

// enhancedStatus returns the RFC 3463 code in the provider's status, else
// the first one found in the texts (SMTP diagnostics usually carry one:
// "smtp; 550 5.1.1 user unknown"). Only the code is returned, never the
// text around it ("-5.1.1", "smtp; 5.1.1").
func enhancedStatus(status string, texts ...string) string {
	for _, t := range append([]string{status}, texts...) {
		if m := statusRE.FindString(t); m != "" {
			return m
		}
	}
	return ""
}

// stripAngle turns "<id@host>" into "id@host".
func stripAngle(id string) string {
	id = strings.TrimSpace(id)
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		id = id[1 : len(id)-1]
	}
	return strings.TrimSpace(id)
}

// firstNonEmpty returns the first of ss that is not blank.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// scalarString renders a JSON scalar as text: strings unquoted, numbers and
// booleans as written. Objects, arrays and null give ok=false.
func scalarString(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" || t[0] == '{' || t[0] == '[' {
		return "", false
	}
	return t, true
}

// flatten keeps the scalar members of a JSON object as strings, minus the
// keys in skip. It returns nil when nothing is left.
func flatten(m map[string]json.RawMessage, skip map[string]bool) map[string]string {
	var out map[string]string
	for k, raw := range m {
		if skip[k] {
			continue
		}
		s, ok := scalarString(raw)
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = s
	}
	return out
}

// selectHeader stores name: value in dst if name is one of the surfaced
// headers and not already set. It returns the possibly new map.
func (v *Verifier) selectHeader(dst map[string]string, name, value string) map[string]string {
	key := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
	if !v.headers[key] {
		return dst
	}
	if _, ok := dst[key]; ok {
		return dst
	}
	if dst == nil {
		dst = map[string]string{}
	}
	dst[key] = strings.TrimSpace(value)
	return dst
}

// deliveryID finds our delivery id in echoed headers or provider variables.
func deliveryID(headers, vars map[string]string) string {
	if id := strings.TrimSpace(headers[DeliveryHeader]); id != "" {
		return id
	}
	// Several spellings may coexist in theory; pick deterministically.
	best := ""
	for k, val := range vars {
		if !isDeliveryVar(k) || strings.TrimSpace(val) == "" {
			continue
		}
		if best == "" || k < best {
			best = k
		}
	}
	if best == "" {
		return ""
	}
	return strings.TrimSpace(vars[best])
}

// isDeliveryVar reports whether a provider variable name spells
// DeliveryHeader or "dispatch_delivery", ignoring case, '-' and '_'.
func isDeliveryVar(name string) bool {
	n := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(name))
	return n == "xdispatchdelivery" || n == "dispatchdelivery"
}

// finish fills the fields every provider derives the same way.
func (v *Verifier) finish(e Event) Event {
	e.Email = strings.TrimSpace(e.Email)
	e.MessageID = stripAngle(e.MessageID)
	// Events of one notification start from one template; give each its
	// own maps so a caller may modify them.
	e.Headers = maps.Clone(e.Headers)
	e.Vars = maps.Clone(e.Vars)
	e.DeliveryID = deliveryID(e.Headers, e.Vars)
	if e.Time.IsZero() {
		e.Time = v.now()
	}
	e.Time = e.Time.UTC()
	return e
}

// add finishes e and appends it to events, unless it names no recipient:
// such an event can be applied to no one.
func (v *Verifier) add(events []Event, e Event) []Event {
	e = v.finish(e)
	if e.Email == "" {
		return events
	}
	return append(events, e)
}

// parseTime parses an RFC 3339 timestamp, returning the zero time if it is
// missing or malformed: a bad event time is no reason to drop a bounce.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

// unixTime converts provider epoch seconds (possibly fractional) to a time.
func unixTime(sec float64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	whole := int64(sec)
	return time.Unix(whole, int64((sec-float64(whole))*1e9))
}
