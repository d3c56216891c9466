package templates

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Preview serves an issue for its editor: the HTML as sent, the text part,
// a phone-width view and the checks. It re-reads the issue (and its layout)
// when their modification time changes, checked on each request; pages poll
// /version once a second and reload when it changes. Preview is an
// http.Handler and safe for concurrent use; the caller runs the server.
type Preview struct {
	path   string
	cfg    Config
	sample Recipient
	log    *slog.Logger
	pages  *template.Template

	mu       sync.Mutex
	audience *Audience            // the list's attributes, when known
	stamps   map[string]time.Time // files the current state was built from
	version  int
	compiled *Compiled
	rendered *Rendered
	checks   []Check
	err      error // load or compile failure, nil when compiled
}

// NewPreview prepares a preview of the issue at path rendered for sample.
// It fails only if the file cannot be read; a broken issue is shown with
// its checks. A nil logger discards.
func NewPreview(path string, cfg Config, sample Recipient, logger *slog.Logger) (*Preview, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pages, err := template.New("pages").Parse(previewPages)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	p := &Preview{path: path, cfg: cfg, sample: sample, log: logger, pages: pages}
	p.mu.Lock()
	p.reloadLocked()
	p.mu.Unlock()
	return p, nil
}

// SetAudience makes the checks compare the attributes the issue prints
// with a list's (see CheckAttrs), on this and every later version. Errors
// that would refuse a send are shown as warnings: a preview still renders.
func (p *Preview) SetAudience(a Audience) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.audience = &a
	p.reloadLocked()
}

// Compiled returns the current version of the issue, nil when it does not
// compile.
func (p *Preview) Compiled() *Compiled {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshLocked()
	return p.compiled
}

// Checks returns the checks of the current version of the issue.
func (p *Preview) Checks() []Check {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshLocked()
	return append([]Check(nil), p.checks...)
}

// refreshLocked reloads when a watched file changed.
func (p *Preview) refreshLocked() {
	for f, t := range p.stamps {
		fi, err := os.Stat(f)
		if err != nil || !fi.ModTime().Equal(t) {
			p.reloadLocked()
			return
		}
	}
}

func (p *Preview) reloadLocked() {
	start := time.Now()
	p.version++
	p.stamps = map[string]time.Time{}
	p.stamp(p.path)
	p.compiled, p.rendered, p.checks, p.err = nil, nil, nil, nil

	is, err := LoadIssue(p.path)
	if err == nil {
		layout := p.cfg.Layout
		if is.Layout != "" {
			layout = filepath.Join(filepath.Dir(is.Path), is.Layout)
			if filepath.IsAbs(is.Layout) {
				layout = is.Layout
			}
		}
		if layout != "" {
			p.stamp(layout)
		}
		p.compiled, err = Compile(is, p.cfg)
	}
	if err == nil {
		p.checks = p.compiled.Warnings
		if p.audience != nil {
			p.checks = append(append([]Check(nil), p.checks...), Advisory(p.compiled.CheckAttrs(*p.audience))...)
		}
		p.rendered, err = p.compiled.Render(p.sample)
	}
	var ce *CheckError
	if errors.As(err, &ce) {
		p.checks = ce.Checks
	}
	p.err = err
	if err != nil {
		p.log.Warn("preview: issue has errors", "path", p.path, "version", p.version, "err", err)
		return
	}
	p.log.Info("preview: compiled issue", "path", p.path, "version", p.version,
		"warnings", len(p.checks), "elapsed", time.Since(start).Round(time.Microsecond))
}

func (p *Preview) stamp(path string) {
	if fi, err := os.Stat(path); err == nil {
		p.stamps[path] = fi.ModTime()
	} else {
		p.stamps[path] = time.Time{}
	}
}

// previewState is a consistent copy of the preview for one request.
type previewState struct {
	Path     string
	Version  int
	Compiled *Compiled
	Rendered *Rendered
	Checks   []Check
	Err      error
}

func (p *Preview) state() previewState {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshLocked()
	return previewState{p.path, p.version, p.compiled, p.rendered, p.checks, p.err}
}

// ServeHTTP serves / (index with checks), /html (?raw=1 without the reload
// script), /text, /phone and /version.
func (p *Preview) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	st := p.state()
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/":
		p.page(w, "index", st, http.StatusOK)
	case "/phone":
		p.page(w, "phone", st, http.StatusOK)
	case "/version":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, st.Version)
	case "/html":
		if st.Err != nil {
			p.page(w, "failed", st, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body := st.Rendered.HTML
		if r.URL.Query().Get("raw") == "" {
			body = injectReload(body)
		}
		_, _ = w.Write(body)
	case "/text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if st.Err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "%s has errors:\n\n%v\n", st.Path, st.Err)
			return
		}
		fmt.Fprintf(w, "Subject: %s\n\n", st.Rendered.Subject)
		_, _ = w.Write(st.Rendered.Text)
	default:
		http.NotFound(w, r)
	}
}

func (p *Preview) page(w http.ResponseWriter, name string, st previewState, code int) {
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, st); err != nil {
		p.log.Error("preview: render page", "page", name, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// injectReload adds the polling script before </body>.
func injectReload(doc []byte) []byte {
	script := []byte(reloadScript)
	i := bytes.LastIndex(doc, []byte("</body>"))
	if i < 0 {
		return append(append([]byte(nil), doc...), script...)
	}
	out := make([]byte, 0, len(doc)+len(script))
	out = append(out, doc[:i]...)
	out = append(out, script...)
	return append(out, doc[i:]...)
}

const reloadScript = `<script>(function(){var v=null;function poll(){fetch("/version",{cache:"no-store"}).then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload();return}v=t;setTimeout(poll,1000)}).catch(function(){setTimeout(poll,2000)})}poll()})();</script>`

const previewPages = `
{{define "head"}}<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview: {{.Path}}</title>
<style>
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif;background:#f3f5f8;color:#1d2633}
header{background:#0e2340;color:#fff;padding:14px 24px}header a{color:#c7d3e3;margin-right:16px}
main{padding:20px 24px}h1{font-size:18px;margin:0 0 4px}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 16px}dt{color:#5d6a7b}dd{margin:0}
ul.checks{list-style:none;padding:0;margin:0 0 20px}ul.checks li{padding:6px 10px;margin:0 0 6px;border-radius:4px;font-family:Menlo,Consolas,monospace;font-size:13px}
li.error{background:#fde8e8;color:#8a1c1c}li.warning{background:#fff4d6;color:#7a5200}p.ok{color:#1f6b3a}
.frames{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}.frames iframe{border:1px solid #d5dce6;background:#fff;border-radius:6px}
</style></head><body>
<header><strong>Dispatch preview</strong> &nbsp; {{.Path}} &nbsp; <a href="/">Overview</a><a href="/html">HTML</a><a href="/text">Text</a><a href="/phone">Phone</a></header>{{end}}

{{define "checks"}}{{if .Checks}}<ul class="checks">{{range .Checks}}<li class="{{.Severity}}">{{.String}}</li>{{end}}</ul>{{else if not .Err}}<p class="ok">No problems found.</p>{{end}}
{{if and .Err (not .Checks)}}<ul class="checks"><li class="error">{{.Err}}</li></ul>{{end}}{{end}}

{{define "index"}}{{template "head" .}}<main>
{{if and .Rendered .Compiled}}<dl><dt>Subject</dt><dd>{{.Rendered.Subject}}</dd><dt>From</dt><dd>{{or .Compiled.From "(not set)"}}</dd><dt>Preheader</dt><dd>{{.Compiled.Preheader}}</dd></dl>{{end}}
<h1>Checks</h1>{{template "checks" .}}
{{if not .Err}}<div class="frames"><iframe title="Desktop" src="/html?raw=1" width="680" height="1400"></iframe><iframe title="Phone" src="/html?raw=1" width="375" height="1400"></iframe></div>{{end}}
</main>` + reloadScript + `</body></html>{{end}}

{{define "phone"}}{{template "head" .}}<main>{{template "checks" .}}
{{if not .Err}}<iframe title="Phone" src="/html?raw=1" width="375" height="1600" style="border:1px solid #d5dce6;background:#fff;border-radius:18px"></iframe>{{end}}
</main>` + reloadScript + `</body></html>{{end}}

{{define "failed"}}{{template "head" .}}<main><h1>The issue does not compile</h1>{{template "checks" .}}</main>` + reloadScript + `</body></html>{{end}}
`
