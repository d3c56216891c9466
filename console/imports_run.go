package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/subscribers"
)

// invalidOnPage is how many invalid rows the result page shows; the CSV
// download has all that were kept.
const invalidOnPage = 100

type importRunData struct {
	Record *subscribers.ImportRecord
	// Live is true while the import runs (or waits its turn) in this
	// process; the page then polls its progress.
	Live     bool
	Progress progressView
	Result   *subscribers.ImportResult
	// JSON is the result exactly as `dispatch import --json` prints it.
	JSON    string
	Invalid []subscribers.InvalidRow
	// MoreInvalid counts the kept invalid rows not shown on the page.
	MoreInvalid int
	// Upload, Update and Basis let a dry run's page start the import.
	Upload string
	Update bool
	Basis  string
	// MappingURL goes back to the mapping form of the dry run's file.
	MappingURL string
	// Self is this page, ProgressURL its live part.
	Self        string
	ProgressURL string
}

// progressView is the runner's progress as the page shows it.
type progressView struct {
	Queued  bool
	Rows    int
	Rate    string // rows per second
	Percent string // of the file read, "" when unknown
	Value   float64
	ETA     string // "" when unknown
	Elapsed string
}

// handleImportShow shows an import: its live progress while it runs, its
// result (and invalid rows) when it has ended.
func (s *Server) handleImportShow(w http.ResponseWriter, r *http.Request) {
	d, ok := s.importRun(w, r)
	if !ok {
		return
	}
	title := "Import of " + d.Record.FileName
	if d.Record.DryRun {
		title = "Dry run of " + d.Record.FileName
	}
	s.render(w, r, page{Name: "import_run.html", Title: title, Nav: "imports", Data: d})
}

// handleImportProgress is the live part of the import page, which htmx
// fetches every second. When the import ends it asks htmx to reload the
// whole page, which then shows the result.
func (s *Server) handleImportProgress(w http.ResponseWriter, r *http.Request) {
	d, ok := s.importRun(w, r)
	if !ok {
		return
	}
	if !d.Live {
		w.Header().Set("HX-Refresh", "true")
	}
	s.renderBlock(w, r, "import_run.html", "progress", d)
}

func (s *Server) importRun(w http.ResponseWriter, r *http.Request) (*importRunData, bool) {
	if !s.importsReady(w, r) {
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, subscribers.ErrNotFound)
		return nil, false
	}
	rec, err := s.cfg.Store.FindImportRecord(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &importRunData{Record: rec}
	base := s.path("/imports/" + strconv.FormatInt(id, 10))
	d.Self, d.ProgressURL = base, base+"/progress"
	if r.URL.RawQuery != "" {
		d.Self += "?" + r.URL.RawQuery
		d.ProgressURL += "?" + r.URL.RawQuery
	}
	// Still live while this process's runner is writing the end to the
	// history: the page keeps polling rather than calling it another
	// process's import.
	if p, ok := s.cfg.Imports.Progress(id); ok && (!p.Done() || rec.Status == subscribers.ImportRunning) {
		d.Live, d.Progress = true, viewProgress(p)
		return d, true
	}
	if rec.Status == subscribers.ImportRunning {
		// Recorded as running, unknown to this process's runner: another
		// process runs it (or died; the next start marks it interrupted).
		d.Live = false
	}
	if rec.Result != nil && rec.Status != subscribers.ImportRunning {
		res := *rec.Result
		res.Invalid = nil
		err := s.cfg.Store.FindImportInvalidRows(r.Context(), id, func(row subscribers.InvalidRow) error {
			res.Invalid = append(res.Invalid, row)
			return nil
		})
		if err != nil {
			s.fail(w, r, err)
			return nil, false
		}
		d.Result = &res
		d.Invalid = res.Invalid
		if len(d.Invalid) > invalidOnPage {
			d.Invalid, d.MoreInvalid = d.Invalid[:invalidOnPage], len(d.Invalid)-invalidOnPage
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&res); err == nil {
			d.JSON = b.String()
		}
	}
	if rec.DryRun && rec.Status == subscribers.ImportFinished {
		q := r.URL.Query()
		if up, err := s.cfg.Uploads.Find(q.Get("upload"), actor(r)); err == nil {
			d.Upload, d.Update, d.Basis = up.ID, q.Get("update") != "", q.Get("basis")
			v := url.Values{"upload": {up.ID}, "list": {rec.List}}
			if d.Basis != "" {
				v.Set("basis", d.Basis)
			}
			if rec.Mapping != "" {
				v.Set("map", rec.Mapping)
			}
			if d.Update {
				v.Set("update", "1")
			}
			d.MappingURL = s.path("/imports/mapping") + "?" + v.Encode()
		}
	}
	return d, true
}

func viewProgress(p imports.Progress) progressView {
	v := progressView{Queued: p.Queued, Rows: p.Rows, Rate: formatNum(int(p.RowsPerSec + 0.5)), Value: p.Percent,
		Elapsed: p.Elapsed.Round(time.Second).String()}
	if p.Percent > 0 {
		v.Percent = strconv.FormatFloat(p.Percent, 'f', 0, 64) + "%"
	}
	if p.ETA > 0 {
		v.ETA = "about " + p.ETA.Round(time.Second).String()
	}
	return v
}

// handleImportInvalid downloads an import's invalid rows as CSV (line,
// value, reason), every cell neutralised against spreadsheet formulas.
func (s *Server) handleImportInvalid(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, subscribers.ErrNotFound)
		return
	}
	rec, err := s.cfg.Store.FindImportRecord(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="invalid-rows-import-%d.csv"`, rec.ID))
	err = subscribers.WriteInvalidRows(w, func(yield func(subscribers.InvalidRow) error) error {
		return s.cfg.Store.FindImportInvalidRows(r.Context(), id, yield)
	})
	if err != nil && !errors.Is(err, r.Context().Err()) {
		s.cfg.Logger.ErrorContext(r.Context(), "download invalid rows", "import", id, "err", err)
	}
}
