package csvimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dispatchhq/dispatch/subscribers"
)

// PreviewConfig says how to read a file for a preview.
type PreviewConfig struct {
	Encoding  string               // "" or "auto" to detect
	Delimiter rune                 // 0 to sniff
	Mapping   *subscribers.Mapping // nil: detect the columns
	Rows      int                  // rows to show (default 10)
	Limits    subscribers.ImportLimits
}

// Preview is how the import would read a file: what it detected and the
// first rows as it understood them. It reads only the first rows.
type Preview struct {
	Encoding  string
	Delimiter string
	Header    []string
	// Columns gives each column's role, in header order.
	Columns []PreviewColumn
	// Mapping is the mapping in effect, every role spelled out, so that a
	// form can start from it.
	Mapping *subscribers.Mapping
	// MappingErr says why the columns cannot be imported as mapped (no
	// email column, a mapped column missing); the header and rows are
	// still shown so that the mapping can be fixed.
	MappingErr string
	Rows       []PreviewRow
}

// PreviewColumn is one column of the file and what the import does with it.
type PreviewColumn struct {
	Header string
	Role   string // email, name, first, last, status, attr, json, ignore
	Key    string // the attribute key, for attr
}

// PreviewRow is one row as read and as it would be imported.
type PreviewRow struct {
	Line       int
	Cells      []string
	Email      string
	Name       string
	Attributes map[string]any
	Status     subscribers.Status
	Invalid    string // why the row would be skipped
}

// PreviewImport reads the start of a CSV file the way Import would. An
// error means the file cannot be imported whatever the mapping (not CSV,
// empty, a header over the limits); a mapping that does not fit the header
// is reported in MappingErr instead.
func PreviewImport(r io.Reader, cfg PreviewConfig) (*Preview, error) {
	if cfg.Rows <= 0 {
		cfg.Rows = 10
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	src, err := newCSVSource(r, cfg.Encoding, cfg.Delimiter, cfg.Limits)
	if err != nil {
		return nil, err
	}
	header, line, err := readHeader(src)
	if err != nil {
		return nil, err
	}
	header = append([]string(nil), header...)
	p := &Preview{Encoding: src.encoding, Delimiter: string(src.delimiter)}
	cols, merr := mapColumns(header, cfg.Mapping)
	p.Header = append([]string(nil), header...) // mapColumns trims the cells
	if merr != nil {
		p.MappingErr = fmt.Sprintf("line %d: %v", line, merr)
		for _, h := range p.Header {
			p.Columns = append(p.Columns, PreviewColumn{Header: h, Role: "attr", Key: subscribers.AttributeKey(h)})
		}
	} else {
		p.Columns, p.Mapping = cols.roles()
	}
	for len(p.Rows) < cfg.Rows {
		rec, line, err := src.Read()
		if err == io.EOF {
			break
		}
		row := PreviewRow{Line: line, Cells: append([]string(nil), rec...)}
		var le *LimitError
		switch {
		case errors.As(err, &le):
			row.Invalid = le.Error()
		case err != nil:
			return nil, fmt.Errorf("line %d: %w", line, err)
		case isBlank(rec):
			continue
		case merr == nil:
			cr := parseRow(rec, cols, cfg.Limits.MaxAttributesBytes)
			row.Email, row.Name, row.Status, row.Invalid = cr.Email, cr.Name, cr.Status, cr.Invalid
			if cr.Invalid == "" {
				json.Unmarshal([]byte(cr.Attributes), &row.Attributes)
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

// roles spells the column map out per column and as a full Mapping.
func (c *columnMap) roles() ([]PreviewColumn, *subscribers.Mapping) {
	out := make([]PreviewColumn, len(c.header))
	mp := &subscribers.Mapping{}
	for i, h := range c.header {
		out[i] = PreviewColumn{Header: h, Role: "ignore"}
	}
	set := func(i int, role string) {
		if i >= 0 {
			out[i].Role = role
		}
	}
	set(c.email, "email")
	mp.Email = c.header[c.email]
	if c.name >= 0 {
		set(c.name, "name")
		mp.Name = c.header[c.name]
	}
	for _, f := range c.first {
		set(f, "first")
		mp.First = append(mp.First, c.header[f])
	}
	if c.last >= 0 {
		set(c.last, "last")
		mp.Last = c.header[c.last]
	}
	if c.status >= 0 {
		set(c.status, "status")
		mp.Status = c.header[c.status]
	}
	set(c.json, "json")
	for _, a := range c.attrs {
		out[a.index].Role, out[a.index].Key = "attr", a.key
		mp.Attributes = append(mp.Attributes, subscribers.AttributeColumn{Column: c.header[a.index], Key: a.key})
	}
	for i, col := range out {
		if col.Role == "ignore" {
			mp.Ignore = append(mp.Ignore, c.header[i])
		}
	}
	return out, mp
}
