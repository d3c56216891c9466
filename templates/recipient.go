package templates

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
)

// Recipient is the per-recipient data a compiled issue is rendered with.
// Templates see its fields and the methods FirstName and Attr.
type Recipient struct {
	Email string
	Name  string
	// Attributes is the JSON object stored with the subscriber at import.
	Attributes     map[string]any
	UnsubscribeURL string
	WebURL         string
	// ClickToken identifies the delivery in tracked links of an issue
	// tracked per recipient (TrackLinks with PerRecipient); empty otherwise.
	ClickToken string
	// ManageURL opens the recipient's preference centre.
	ManageURL string
}

// FirstName returns the first word of Name, or the first word after the
// comma for names written "Family, Given". It is empty when Name is empty.
func (r Recipient) FirstName() string {
	name := strings.TrimSpace(r.Name)
	if _, given, ok := strings.Cut(name, ","); ok && strings.TrimSpace(given) != "" {
		name = strings.TrimSpace(given)
	}
	if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
		name = name[:i]
	}
	return name
}

// Attr returns the attribute key as text: strings as they are, numbers in
// their shortest form, booleans as true/false, other values as JSON, and ""
// for a missing key or null.
func (r Recipient) Attr(key string) string {
	v, ok := r.Attributes[key]
	if !ok || v == nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// SampleRecipient returns the recipient used by previews, `dispatch render`
// without --as, and the checks that render an issue once at compile time.
func SampleRecipient() Recipient {
	return Recipient{
		Email:          "ada.lovelace@example.com",
		Name:           "Ada Lovelace",
		Attributes:     map[string]any{"company": "Analytical Engines Ltd"},
		UnsubscribeURL: "https://news.example.com/u/sample-token",
		ManageURL:      "https://news.example.com/manage/sample-token",
		WebURL:         "https://news.example.com/archive/news/sample",
	}
}

// defaultValue implements the template function default: {{ .FirstName | default "there" }}.
func defaultValue(def, v string) string {
	if v == "" {
		return def
	}
	return v
}
