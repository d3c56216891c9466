package console

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// roleOption is a choice of the mapping form's "use as" menus.
type roleOption struct {
	Role  string
	Label string
}

// roleOptions are what a column can be used as. "json" (the attributes
// column of a Dispatch export) is offered only where it was detected.
var roleOptions = []roleOption{
	{"email", "Email address"},
	{"name", "Full name"},
	{"first", "First name"},
	{"last", "Last name"},
	{"status", "Status"},
	{"attr", "Attribute"},
	{"ignore", "Leave out"},
}

// importForm is the mapping form: what to do with each column, into which
// list, on which lawful basis, and whether existing subscribers are
// updated. Map, when set, is the
// whole mapping in the --map syntax (the dry-run page's "import now").
type importForm struct {
	Upload  string
	Map     string
	Roles   []string // per column, in header order
	Keys    []string // attribute names, per column
	List    string   // an existing list, or "" for NewList
	NewList string
	Update  bool
	// Basis is the lawful basis recorded on new subscriptions, as the form
	// sent it; "" is the default (subscribers.DefaultImportBasis).
	Basis string
}

func readImportForm(v url.Values) importForm {
	f := importForm{Upload: v.Get("upload"), Map: v.Get("map"), List: strings.TrimSpace(v.Get("list")),
		NewList: strings.TrimSpace(v.Get("new_list")), Update: v.Get("update") != "", Basis: v.Get("basis")}
	for i := 0; ; i++ {
		role, ok := v["role"+strconv.Itoa(i)]
		if !ok || len(role) == 0 {
			break
		}
		f.Roles = append(f.Roles, role[0])
		f.Keys = append(f.Keys, strings.TrimSpace(v.Get("key"+strconv.Itoa(i))))
	}
	return f
}

// basis is the lawful basis the form asks for.
func (f importForm) basis() (subscribers.LawfulBasis, error) {
	if f.Basis == "" {
		return subscribers.DefaultImportBasis, nil
	}
	return subscribers.ParseBasis(f.Basis)
}

// ChosenBasis is the basis the form's select shows: the one asked for,
// else the default.
func (f importForm) ChosenBasis() string {
	if f.Basis == "" {
		return string(subscribers.DefaultImportBasis)
	}
	return f.Basis
}

// target is the list the import goes into.
func (f importForm) target() string {
	if f.List != "" {
		return f.List
	}
	return f.NewList
}

// mapping builds the mapping the form asks for against the file's header.
// It returns nil for a form that sets no roles (the detected mapping).
func (f importForm) mapping(header []string) (*subscribers.Mapping, error) {
	if f.Map != "" {
		m, err := subscribers.ParseMapping(f.Map)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	if len(f.Roles) == 0 {
		return nil, nil
	}
	if len(f.Roles) != len(header) {
		return nil, fmt.Errorf("the form has %d columns and the file %d: reload the page and map them again", len(f.Roles), len(header))
	}
	m := &subscribers.Mapping{}
	one := func(dst *string, role, col string) error {
		if *dst != "" {
			return fmt.Errorf("only one column can be the %s: %q and %q are both set to it", role, *dst, col)
		}
		*dst = col
		return nil
	}
	keys := map[string]string{}
	for i, role := range f.Roles {
		col := header[i]
		var err error
		switch role {
		case "email":
			err = one(&m.Email, "email address", col)
		case "name":
			err = one(&m.Name, "full name", col)
		case "first":
			m.First = append(m.First, col)
		case "last":
			err = one(&m.Last, "last name", col)
		case "status":
			err = one(&m.Status, "status", col)
		case "attr":
			name := f.Keys[i]
			if name == "" {
				name = col
			}
			key := subscribers.AttributeKey(name)
			if key == "" {
				return nil, fmt.Errorf("column %q: %q cannot be an attribute name: use letters or digits", col, name)
			}
			if other, dup := keys[key]; dup {
				return nil, fmt.Errorf("columns %q and %q would both be the attribute %q: give one another name", other, col, key)
			}
			keys[key] = col
			m.Attributes = append(m.Attributes, subscribers.AttributeColumn{Column: col, Key: key})
		case "ignore":
			m.Ignore = append(m.Ignore, col)
		case "json":
			// Detected again by the reader: nothing to name.
		default:
			return nil, fmt.Errorf("column %q: unknown use %q", col, role)
		}
		if err != nil {
			return nil, err
		}
	}
	if m.Email == "" {
		return nil, fmt.Errorf("no column is set to Email address: choose the column that holds the addresses")
	}
	if m.Name != "" && (len(m.First) > 0 || m.Last != "") {
		return nil, fmt.Errorf("choose a full name column or first and last name columns, not both")
	}
	return m, nil
}

// validateTarget checks the list name by the store's own rules.
func (f importForm) validateTarget() error {
	if _, err := f.basis(); err != nil {
		return fmt.Errorf("%s", formError(err))
	}
	if f.target() == "" {
		return fmt.Errorf("choose a list to import into, or name a new one")
	}
	if err := subscribers.ValidateListName(f.target()); err != nil {
		return fmt.Errorf("%s", formError(err))
	}
	return nil
}
