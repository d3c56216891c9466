package subscribers

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
)

// Mapping is an explicit column mapping chosen by the admin (`dispatch
// import --map`, or the console's mapping form). Each field names a column
// by its header. A role the mapping leaves empty is detected as usual;
// columns named nowhere become attributes (under a key made from their
// header) unless listed in Ignore.
type Mapping struct {
	Email      string
	Name       string   // a full-name column
	First      []string // given and middle names, joined in order
	Last       string
	Status     string
	Attributes []AttributeColumn
	Ignore     []string
}

// AttributeColumn maps a column to an attribute key.
type AttributeColumn struct {
	Column string
	Key    string
}

// IsZero reports whether the mapping names nothing (automatic detection).
func (m *Mapping) IsZero() bool {
	return m == nil || (m.Email == "" && m.Name == "" && len(m.First) == 0 && m.Last == "" && m.Status == "" &&
		len(m.Attributes) == 0 && len(m.Ignore) == 0)
}

// ParseMapping reads the --map syntax: comma-separated role=Column pairs,
// where role is email, name, first (repeatable: middle names follow), last,
// status, ignore (repeatable) or attr:KEY. A pair holding a comma is quoted
// as in CSV: --map 'email=E-mail,"attr:note=Notes, misc"'.
func ParseMapping(spec string) (*Mapping, error) {
	m := &Mapping{}
	if strings.TrimSpace(spec) == "" {
		return m, nil
	}
	r := csv.NewReader(strings.NewReader(spec))
	r.FieldsPerRecord, r.TrimLeadingSpace = -1, true
	pairs, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("mapping %q: %w", spec, err)
	}
	for _, p := range pairs {
		role, col, ok := strings.Cut(p, "=")
		role, col = strings.ToLower(strings.TrimSpace(role)), strings.TrimSpace(col)
		if !ok || role == "" {
			return nil, fmt.Errorf("mapping %q: want role=Column (roles: email, name, first, last, status, attr:KEY, ignore)", p)
		}
		if col == "" {
			return nil, fmt.Errorf("mapping %q: name the column after %q", p, role+"=")
		}
		if err := m.set(role, col); err != nil {
			return nil, fmt.Errorf("mapping %q: %w", p, err)
		}
	}
	return m, nil
}

func (m *Mapping) set(role, col string) error {
	one := func(dst *string) error {
		if *dst != "" {
			return fmt.Errorf("%s is mapped twice (%q and %q)", role, *dst, col)
		}
		*dst = col
		return nil
	}
	switch {
	case role == "email":
		return one(&m.Email)
	case role == "name":
		return one(&m.Name)
	case role == "first" || role == "first_name" || role == "middle":
		m.First = append(m.First, col)
	case role == "last" || role == "last_name":
		return one(&m.Last)
	case role == "status":
		return one(&m.Status)
	case role == "ignore" || role == "skip":
		m.Ignore = append(m.Ignore, col)
	case strings.HasPrefix(role, "attr:"):
		key := AttributeKey(strings.TrimPrefix(role, "attr:"))
		if key == "" {
			return errors.New("attr: needs a key, as in attr:company=Organisation")
		}
		for _, a := range m.Attributes {
			if a.Key == key {
				return fmt.Errorf("attribute %q is mapped twice (%q and %q)", key, a.Column, col)
			}
		}
		m.Attributes = append(m.Attributes, AttributeColumn{Column: col, Key: key})
	default:
		return fmt.Errorf("unknown role %q (roles: email, name, first, last, status, attr:KEY, ignore)", role)
	}
	return nil
}

// String writes the mapping back in the --map syntax.
func (m *Mapping) String() string {
	if m.IsZero() {
		return ""
	}
	var pairs []string
	add := func(role, col string) {
		if col != "" {
			pairs = append(pairs, role+"="+col)
		}
	}
	add("email", m.Email)
	add("name", m.Name)
	for _, f := range m.First {
		add("first", f)
	}
	add("last", m.Last)
	add("status", m.Status)
	for _, a := range m.Attributes {
		add("attr:"+a.Key, a.Column)
	}
	for _, c := range m.Ignore {
		add("ignore", c)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(pairs)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}
