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
		key := attrKey(strings.TrimPrefix(role, "attr:"))
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

// resolve finds the column a mapping names: the exact header first, then
// ignoring case, then ignoring case, spaces and punctuation.
func resolveColumn(header []string, col string) (int, error) {
	for i, h := range header {
		if h == col {
			return i, nil
		}
	}
	for i, h := range header {
		if strings.EqualFold(h, col) {
			return i, nil
		}
	}
	sq := squashHeader(col)
	for i, h := range header {
		if sq != "" && squashHeader(h) == sq {
			return i, nil
		}
	}
	return -1, fmt.Errorf("the mapping names column %q, which is not in the header (the columns are %s)", col, quoteList(header))
}

// applyMapping overrides the detected roles with the mapping's. A column
// the mapping gives a role loses any role it was detected for.
func (c *columnMap) applyMapping(mp *Mapping) error {
	roleOf := map[int]string{}
	claim := func(col, role string) (int, error) {
		i, err := resolveColumn(c.header, col)
		if err != nil {
			return -1, err
		}
		if prev, ok := roleOf[i]; ok {
			return -1, fmt.Errorf("column %q is mapped twice (as %s and as %s)", c.header[i], prev, role)
		}
		roleOf[i] = role
		return i, nil
	}
	single := func(col, role string, dst *int) error {
		if col == "" {
			return nil
		}
		i, err := claim(col, role)
		*dst = i
		return err
	}
	email, name, last, status := -1, -1, -1, -1
	if err := single(mp.Email, "email", &email); err != nil {
		return err
	}
	if err := single(mp.Name, "name", &name); err != nil {
		return err
	}
	if err := single(mp.Last, "last name", &last); err != nil {
		return err
	}
	if err := single(mp.Status, "status", &status); err != nil {
		return err
	}
	var first []int
	for _, f := range mp.First {
		i, err := claim(f, "first name")
		if err != nil {
			return err
		}
		first = append(first, i)
	}
	var attrs []attrColumn
	for _, a := range mp.Attributes {
		i, err := claim(a.Column, "attr:"+a.Key)
		if err != nil {
			return err
		}
		attrs = append(attrs, attrColumn{index: i, key: a.Key})
	}
	ignored := map[int]bool{}
	for _, col := range mp.Ignore {
		i, err := claim(col, "ignore")
		if err != nil {
			return err
		}
		ignored[i] = true
	}

	// Keep a detected role only if the mapping did not set that role and
	// did not give its column another one.
	keep := func(mapped, detected int) int {
		if mapped >= 0 {
			return mapped
		}
		if _, taken := roleOf[detected]; detected >= 0 && taken {
			return -1
		}
		return detected
	}
	c.email, c.name, c.last, c.status = keep(email, c.email), keep(name, c.name), keep(last, c.last), keep(status, c.status)
	c.json = keep(-1, c.json)
	if len(first) > 0 {
		c.first = first
	} else {
		kept := c.first[:0:0]
		for _, f := range c.first {
			if _, taken := roleOf[f]; !taken {
				kept = append(kept, f)
			}
		}
		c.first = kept
	}
	if c.email < 0 {
		return fmt.Errorf("no email column: the mapping names none and none of %s looks like one; map it with email=COLUMN", quoteList(c.header))
	}

	// Attributes: the mapping's, then every other column that has no role.
	used := map[int]bool{c.email: true, c.name: true, c.last: true, c.status: true, c.json: true}
	for _, f := range c.first {
		used[f] = true
	}
	seen := map[string]bool{}
	for _, a := range attrs {
		used[a.index] = true
		seen[a.key] = true
	}
	for _, a := range c.attrs {
		if used[a.index] || ignored[a.index] || roleOf[a.index] != "" {
			continue
		}
		key := a.key
		for seen[key] {
			key += "_"
		}
		seen[key] = true
		attrs = append(attrs, attrColumn{index: a.index, key: key})
	}
	// Columns that lost a detected role to the mapping become attributes
	// too, rather than vanish.
	for i, h := range c.header {
		if used[i] || ignored[i] || roleOf[i] != "" || c.isAttr(i, attrs) || bookkeeping(squashHeader(h)) {
			continue
		}
		key := attrKey(h)
		if key == "" {
			key = fmt.Sprintf("column_%d", i+1)
		}
		for seen[key] {
			key += "_"
		}
		seen[key] = true
		attrs = append(attrs, attrColumn{index: i, key: key})
	}
	c.attrs = attrs
	return nil
}

func (c *columnMap) isAttr(i int, attrs []attrColumn) bool {
	for _, a := range attrs {
		if a.index == i {
			return true
		}
	}
	return false
}

// bookkeeping reports columns of the exporting system (our own export,
// listmonk) that say nothing about the person.
func bookkeeping(squashed string) bool {
	switch squashed {
	case "lists", "createdat", "updatedat":
		return true
	}
	return false
}
