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

// applyMapping overrides the detected roles with the mapping's. A column
// the mapping gives a role loses any role it was detected for.
func (c *columnMap) applyMapping(mp *subscribers.Mapping) error {
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
		key := subscribers.AttributeKey(h)
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
