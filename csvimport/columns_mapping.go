package csvimport

import (
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

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

// mappedRoles are the roles a mapping gives, by column index (-1: none).
type mappedRoles struct {
	email, name, last, status int
	first                     []int
	attrs                     []attrColumn
	ignored                   map[int]bool
	roleOf                    map[int]string // every column the mapping names, and its role
}

// claimRoles resolves the columns a mapping names against the header. A
// column may have one role only.
func claimRoles(header []string, mp *subscribers.Mapping) (*mappedRoles, error) {
	m := &mappedRoles{email: -1, name: -1, last: -1, status: -1, ignored: map[int]bool{}, roleOf: map[int]string{}}
	claim := func(col, role string) (int, error) {
		i, err := resolveColumn(header, col)
		if err != nil {
			return -1, err
		}
		if prev, ok := m.roleOf[i]; ok {
			return -1, fmt.Errorf("column %q is mapped twice (as %s and as %s)", header[i], prev, role)
		}
		m.roleOf[i] = role
		return i, nil
	}
	for _, one := range []struct {
		col, role string
		dst       *int
	}{{mp.Email, "email", &m.email}, {mp.Name, "name", &m.name}, {mp.Last, "last name", &m.last}, {mp.Status, "status", &m.status}} {
		if one.col == "" {
			continue
		}
		i, err := claim(one.col, one.role)
		if err != nil {
			return nil, err
		}
		*one.dst = i
	}
	for _, f := range mp.First {
		i, err := claim(f, "first name")
		if err != nil {
			return nil, err
		}
		m.first = append(m.first, i)
	}
	for _, a := range mp.Attributes {
		i, err := claim(a.Column, "attr:"+a.Key)
		if err != nil {
			return nil, err
		}
		m.attrs = append(m.attrs, attrColumn{index: i, key: a.Key})
	}
	for _, col := range mp.Ignore {
		i, err := claim(col, "ignore")
		if err != nil {
			return nil, err
		}
		m.ignored[i] = true
	}
	return m, nil
}

// applyMapping overrides the detected roles with the mapping's. A column
// the mapping gives a role loses any role it was detected for.
func (c *columnMap) applyMapping(mp *subscribers.Mapping) error {
	m, err := claimRoles(c.header, mp)
	if err != nil {
		return err
	}
	c.keepDetected(m)
	if c.email < 0 {
		return fmt.Errorf("no email column: the mapping names none and none of %s looks like one; map it with email=COLUMN", quoteList(c.header))
	}
	c.attrs = c.mappedAttrs(m)
	return nil
}

// keepDetected sets the mapping's roles, and keeps a detected role only if
// the mapping did not set that role and did not give its column another
// one.
func (c *columnMap) keepDetected(m *mappedRoles) {
	keep := func(mapped, detected int) int {
		if mapped >= 0 {
			return mapped
		}
		if _, taken := m.roleOf[detected]; detected >= 0 && taken {
			return -1
		}
		return detected
	}
	c.email, c.name, c.last, c.status = keep(m.email, c.email), keep(m.name, c.name), keep(m.last, c.last), keep(m.status, c.status)
	c.json = keep(-1, c.json)
	if len(m.first) > 0 {
		c.first = m.first
		return
	}
	kept := c.first[:0:0]
	for _, f := range c.first {
		if _, taken := m.roleOf[f]; !taken {
			kept = append(kept, f)
		}
	}
	c.first = kept
}

// mappedAttrs lists the attribute columns: the mapping's, then every
// other column that has no role.
func (c *columnMap) mappedAttrs(m *mappedRoles) []attrColumn {
	used := map[int]bool{c.email: true, c.name: true, c.last: true, c.status: true, c.json: true}
	for _, f := range c.first {
		used[f] = true
	}
	attrs := m.attrs
	seen := map[string]bool{}
	for _, a := range attrs {
		used[a.index] = true
		seen[a.key] = true
	}
	free := func(i int) bool { return !used[i] && !m.ignored[i] && m.roleOf[i] == "" }
	for _, a := range c.attrs {
		if free(a.index) {
			attrs = append(attrs, attrColumn{index: a.index, key: uniqueKey(seen, a.key)})
		}
	}
	// Columns that lost a detected role to the mapping become attributes
	// too, rather than vanish.
	for i, h := range c.header {
		if !free(i) || c.isAttr(i, attrs) || bookkeeping(squashHeader(h)) {
			continue
		}
		attrs = append(attrs, attrColumn{index: i, key: uniqueKey(seen, attributeKey(h, i))})
	}
	return attrs
}

// attributeKey is the attribute key of header h of column i (0-based).
func attributeKey(h string, i int) string {
	if key := subscribers.AttributeKey(h); key != "" {
		return key
	}
	return fmt.Sprintf("column_%d", i+1)
}

// uniqueKey returns key, or key with underscores added until it is not in
// seen, and adds it to seen.
func uniqueKey(seen map[string]bool, key string) string {
	for seen[key] {
		key += "_"
	}
	seen[key] = true
	return key
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
