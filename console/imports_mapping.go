package console

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/subscribers"
)

type mappingData struct {
	Upload  *imports.Upload
	Form    importForm
	Preview *csvimport.Preview
	Columns []mappingColumn
	Lists   []subscribers.List
	// NewList is true when the target is a new list.
	NewList bool
	// Command is the same import with `dispatch import`.
	Command   string
	Size      string
	Delimiter string
	Rows      []previewLine
	// RawRows are the first rows' cells, shown instead of Rows while the
	// columns cannot be imported as mapped.
	RawRows []previewCells
}

// previewCells is a preview row as read, before any mapping.
type previewCells struct {
	Line  int
	Cells []string
}

// previewLine is a preview row as the page shows it.
type previewLine struct {
	Line       int
	Email      string
	Name       string
	Attributes string
	Invalid    string
}

// mappingColumn is one row of the mapping form.
type mappingColumn struct {
	Index   int
	Header  string
	Role    string
	Key     string
	Example string
	Options []roleOption
}

// handleImportMapping shows an upload's preview and its mapping form.
func (s *Server) handleImportMapping(w http.ResponseWriter, r *http.Request) {
	s.importMapping(w, r, readImportForm(r.URL.Query()), "")
}

// handleImportStart handles the mapping form's buttons: preview again with
// the new mapping, start a dry run, or start the import. Bad input renders
// the form again with the message; nothing is started.
func (s *Server) handleImportStart(w http.ResponseWriter, r *http.Request) {
	do := r.PostFormValue("do")
	switch do {
	case "preview", "dry-run", "import":
	default:
		do = "preview"
	}
	s.importMapping(w, r, readImportForm(r.PostForm), do)
}

func (s *Server) importMapping(w http.ResponseWriter, r *http.Request, f importForm, do string) {
	if !s.importsReady(w, r) {
		return
	}
	up, err := s.cfg.Uploads.Find(f.Upload, actor(r))
	if err != nil {
		s.renderImports(w, r, http.StatusNotFound, "That upload is not here any more (an upload is kept for a day, or until it is imported): upload the file again.")
		return
	}
	detected, err := s.previewUpload(up, nil)
	if err != nil {
		s.renderImports(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s cannot be imported: %s.", up.Name, err))
		return
	}
	p, msg := detected, ""
	mp, err := f.mapping(detected.Header)
	switch {
	case err != nil:
		msg = "Nothing was imported: " + err.Error() + "."
	case mp != nil:
		if p, err = s.previewUpload(up, mp); err != nil {
			p, msg = detected, "Nothing was imported: "+err.Error()+"."
		}
	}
	if msg == "" && p.MappingErr != "" {
		msg = "No email column: " + strings.TrimPrefix(p.MappingErr, "line 1: ") +
			". Choose the column that holds the addresses below."
	}
	status := http.StatusOK
	if do != "" && msg == "" {
		if err := f.validateTarget(); err != nil {
			msg = "Nothing was imported: " + err.Error()
		}
	}
	if do != "" && msg != "" {
		status = http.StatusUnprocessableEntity
	}
	if msg == "" && (do == "dry-run" || do == "import") {
		s.startImport(w, r, up, f, p.Mapping, do == "dry-run")
		return
	}
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &mappingData{Upload: up, Form: f, Preview: p, Lists: lists, Columns: mappingColumns(f, p),
		Size: formatSize(up.Size), Delimiter: delimiterName(p.Delimiter)}
	for _, row := range p.Rows {
		if p.MappingErr != "" || msg != "" {
			cells := make([]string, len(p.Header))
			copy(cells, row.Cells)
			d.RawRows = append(d.RawRows, previewCells{Line: row.Line, Cells: cells})
			continue
		}
		d.Rows = append(d.Rows, previewLine{Line: row.Line, Email: row.Email, Name: row.Name,
			Attributes: formatAttributes(row.Attributes), Invalid: row.Invalid})
	}
	d.NewList = f.List == "" && (f.NewList != "" || len(lists) == 0)
	if p.Mapping != nil && f.target() != "" {
		d.Command = importCommand(up.Name, f, p.Mapping)
	}
	s.render(w, r, page{Status: status, Name: "import_mapping.html", Title: "Import " + up.Name, Nav: "imports", Error: msg, Data: d})
}

// mappingColumns fills the form: the admin's own choices when the form
// had them (so a refused form keeps them), else what the reader did.
func mappingColumns(f importForm, p *csvimport.Preview) []mappingColumn {
	opts := roleOptions
	for _, c := range p.Columns {
		if c.Role == "json" {
			opts = append(append([]roleOption(nil), roleOptions...), roleOption{"json", "Attributes (JSON)"})
			break
		}
	}
	cols := make([]mappingColumn, len(p.Header))
	for i, h := range p.Header {
		c := mappingColumn{Index: i, Header: h, Role: "attr", Key: subscribers.AttributeKey(h), Options: opts}
		if i < len(p.Columns) {
			c.Role, c.Key = p.Columns[i].Role, p.Columns[i].Key
		}
		if len(f.Roles) == len(p.Header) && f.Map == "" {
			c.Role, c.Key = f.Roles[i], f.Keys[i]
		}
		if c.Key == "" && c.Role != "attr" {
			c.Key = subscribers.AttributeKey(h)
		}
		for _, row := range p.Rows {
			if i < len(row.Cells) && row.Cells[i] != "" {
				c.Example = row.Cells[i]
				break
			}
		}
		cols[i] = c
	}
	return cols
}

// startImport hands the upload to the runner and sends the admin to its
// progress. A dry run keeps the file, for the import that may follow.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request, up *imports.Upload, f importForm, mp *subscribers.Mapping, dryRun bool) {
	basis, err := f.basis() // checked by validateTarget
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.cfg.Imports.Start(r.Context(), imports.Request{
		Actor: actor(r), FileName: up.Name, Path: up.Path, RemoveFile: !dryRun,
		Import: subscribers.ImportConfig{List: f.target(), Source: "import:" + up.Name, Actor: actor(r), Update: f.Update, DryRun: dryRun,
			Mapping: mp, Limits: s.cfg.ImportLimits, Basis: basis},
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	path := "/imports/" + strconv.FormatInt(id, 10)
	if dryRun {
		v := url.Values{"upload": {up.ID}}
		if f.Update {
			v.Set("update", "1")
		}
		if basis != subscribers.DefaultImportBasis {
			v.Set("basis", string(basis))
		}
		path += "?" + v.Encode()
	}
	s.redirect(w, r, path, "")
}

// importCommand is the same import from the command line.
func importCommand(file string, f importForm, mp *subscribers.Mapping) string {
	cmd := "dispatch import " + shellQuote(file) + " --list " + shellQuote(f.target())
	if m := mp.String(); m != "" {
		cmd += " --map " + shellQuote(m)
	}
	if f.Update {
		cmd += " --update"
	}
	if b, err := f.basis(); err == nil && b != subscribers.DefaultImportBasis {
		cmd += " --basis " + string(b)
	}
	return cmd
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func delimiterName(d string) string {
	switch d {
	case ",":
		return "comma (,)"
	case ";":
		return "semicolon (;)"
	case "\t":
		return "tab"
	case "|":
		return "pipe (|)"
	}
	return strconv.Quote(d)
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// formatAttributes writes attributes as "key: value" pairs, by key.
func formatAttributes(attrs map[string]any) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k, attrs[k])
	}
	return strings.Join(parts, "; ")
}
