package csvimport

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/dispatchhq/dispatch/subscribers"
)

// columnMap says which CSV columns feed which subscriber fields.
type columnMap struct {
	email  int
	name   int   // -1 if none
	first  []int // given, middle names, in order
	last   int   // -1 if none
	status int   // -1 if none
	json   int   // -1, or a column holding a JSON object of attributes (listmonk)
	attrs  []attrColumn
	header []string
}

type attrColumn struct {
	index int
	key   string
}

// Header spellings, compared after squashHeader. Order is priority: an
// export with both "Email" and "E-mail 2 Address" uses the first.
var (
	emailHeaders = []string{"email", "emailaddress", "email1value", "emailaddress1", "primaryemail",
		"email1", "mail", "emailaddr", "mailaddress", "subscriberemail", "contactemail", "useremail"}
	nameHeaders   = []string{"name", "fullname", "displayname", "contactname", "subscribername"}
	firstHeaders  = []string{"firstname", "givenname", "fname", "first"}
	middleHeaders = []string{"middlename", "additionalname"}
	lastHeaders   = []string{"lastname", "surname", "familyname", "lname", "last"}
)

// squashHeader reduces a header to lower-case letters and digits, so that
// "E-mail Address", "email_address" and " EMAIL ADDRESS " all match.
func squashHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func findHeader(squashed []string, names []string) int {
	for _, n := range names {
		for i, h := range squashed {
			if h == n {
				return i
			}
		}
	}
	return -1
}

// mapColumns works out the column roles from a header row and the admin's
// mapping (nil: detect everything), or explains why the row cannot be a
// header.
func mapColumns(header []string, mp *subscribers.Mapping) (*columnMap, error) {
	squashed := make([]string, len(header))
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		squashed[i] = squashHeader(header[i])
	}
	m := &columnMap{email: findHeader(squashed, emailHeaders), name: findHeader(squashed, nameHeaders),
		last: findHeader(squashed, lastHeaders), status: findHeader(squashed, []string{"status", "subscriberstatus"}),
		json: findHeader(squashed, []string{"attributes", "attribs"}), header: append([]string(nil), header...)}
	if m.email < 0 && (mp.IsZero() || mp.Email == "") {
		for _, h := range header {
			if subscribers.ValidateEmail(subscribers.CleanEmail(h)) == nil {
				return nil, fmt.Errorf("the first row holds an address (%s), not column names: add a header row with an email column", subscribers.CleanEmail(h))
			}
		}
		return nil, fmt.Errorf("no email column among %s: name one of them \"email\" (also accepted: \"E-mail\", \"Email Address\", \"mail\"), or map it (--map email=COLUMN)", quoteList(header))
	}
	if f := findHeader(squashed, firstHeaders); f >= 0 {
		m.first = append(m.first, f)
	}
	if mid := findHeader(squashed, middleHeaders); mid >= 0 {
		m.first = append(m.first, mid)
	}
	used := map[int]bool{m.email: true, m.name: true, m.last: true, m.status: true, m.json: true}
	// Bookkeeping of the exporting system (our own export, listmonk) is not
	// about the person.
	for i, h := range squashed {
		if bookkeeping(h) {
			used[i] = true
		}
	}
	for _, f := range m.first {
		used[f] = true
	}
	seen := map[string]bool{}
	for i, h := range header {
		if !used[i] {
			m.attrs = append(m.attrs, attrColumn{index: i, key: uniqueKey(seen, attributeKey(h, i))})
		}
	}
	if !mp.IsZero() {
		if err := m.applyMapping(mp); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// Describe reports the mapping for the import summary.
func (m *columnMap) describe() subscribers.ColumnMapping {
	cm := subscribers.ColumnMapping{Email: m.header[m.email]}
	if m.name >= 0 {
		cm.Name = append(cm.Name, m.header[m.name])
	}
	for _, f := range m.first {
		cm.Name = append(cm.Name, m.header[f])
	}
	if m.last >= 0 {
		cm.Name = append(cm.Name, m.header[m.last])
	}
	if m.status >= 0 {
		cm.Status = m.header[m.status]
	}
	for _, a := range m.attrs {
		cm.Attributes = append(cm.Attributes, a.key)
	}
	if m.json >= 0 {
		cm.Attributes = append(cm.Attributes, m.header[m.json]+" (JSON)")
	}
	return cm
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return subscribers.UnescapeCSVCell(strings.TrimSpace(rec[i]))
}

// statusFromFile maps the status words other tools export. Unknown words
// are not statuses (ok=false).
func statusFromFile(v string) (subscribers.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "active", "enabled", "subscribed", "confirmed", "unconfirmed", "pending", "disabled":
		return subscribers.StatusActive, true
	case "unsubscribed", "optout", "opted out", "opted-out":
		return subscribers.StatusUnsubscribed, true
	case "blocklisted", "blacklisted", "blocked", "banned":
		return subscribers.StatusBlocklisted, true
	case "bounced", "cleaned", "hardbounce", "hard bounce":
		return subscribers.StatusBounced, true
	case "complained", "spam", "spamreport", "complaint":
		return subscribers.StatusComplained, true
	}
	return "", false
}

func (m *columnMap) hasAttr(key string) bool {
	for _, a := range m.attrs {
		if a.key == key {
			return true
		}
	}
	return false
}
