package imports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Store is what the runner needs from the database.
type Store interface {
	// ImportRows commits the rows csvimport reads from the file.
	ImportRows(ctx context.Context, rows subscribers.ContactRows, cfg subscribers.ImportConfig) (*subscribers.ImportResult, error)
	CreateImportRecord(ctx context.Context, r subscribers.ImportRecord) (int64, error)
	FinishImportRecord(ctx context.Context, id int64, status subscribers.ImportStatus, res *subscribers.ImportResult, errText string) error
	InterruptRunningImports(ctx context.Context) (int, error)
}

// Config configures a Runner.
type Config struct {
	Logger *slog.Logger // default: discard
}

// Request is one import to run.
type Request struct {
	Actor    string // who started it, recorded in the history and on every event
	FileName string // as the admin named it
	Path     string // where the file is; the runner only reads it
	Import   subscribers.ImportConfig
	// RemoveFile deletes Path once the import has ended.
	RemoveFile bool
}

// Progress is a snapshot of one import.
type Progress struct {
	ID         int64
	State      subscribers.ImportStatus // running (or queued), finished, failed, interrupted
	Queued     bool                     // waiting for an earlier import to end
	Rows       int
	RowsPerSec float64
	Percent    float64       // of the file read; 0 when its size is unknown
	ETA        time.Duration // estimated time left; 0 when unknown
	Elapsed    time.Duration
	Result     *subscribers.ImportResult // when ended (partial when interrupted)
	Err        string                    // when failed
}

// Done reports whether the import has ended, one way or another.
func (p Progress) Done() bool { return p.State != subscribers.ImportRunning }

// Runner runs imports one at a time on goroutines it owns, until Close.
// It is safe for concurrent use.
type Runner struct {
	store Store
	log   *slog.Logger

	ctx    context.Context // the server's lifetime, not a request's
	cancel context.CancelFunc
	turn   chan struct{} // one import writes at a time
	wg     sync.WaitGroup

	mu   sync.Mutex
	jobs map[int64]*job
}

type job struct {
	mu   sync.Mutex
	p    Progress
	done chan struct{}
}

// New returns a runner. Imports an earlier process left running are marked
// interrupted: they cannot be resumed, but running them again is safe.
func New(ctx context.Context, store Store, cfg Config) (*Runner, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if n, err := store.InterruptRunningImports(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Warn("imports left running by an earlier process are marked interrupted", "imports", n)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &Runner{store: store, log: log, ctx: rctx, cancel: cancel, turn: make(chan struct{}, 1), jobs: map[int64]*job{}}, nil
}

// Start records the import in the history and runs it in the background.
// It returns the import's id at once; the request's context only bounds
// the recording, not the import.
func (r *Runner) Start(ctx context.Context, req Request) (int64, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, errors.New("start import: the server is shutting down")
	}
	var size int64
	if st, err := os.Stat(req.Path); err != nil {
		return 0, fmt.Errorf("start import of %s: %w", req.FileName, err)
	} else {
		size = st.Size()
	}
	req.Import.Size = size
	if req.Import.Actor == "" {
		req.Import.Actor = req.Actor
	}
	id, err := r.store.CreateImportRecord(ctx, subscribers.ImportRecord{Actor: req.Actor, FileName: req.FileName, FileSize: size,
		List: req.Import.List, Mapping: req.Import.Mapping.String(), DryRun: req.Import.DryRun})
	if err != nil {
		return 0, err
	}
	j := &job{p: Progress{ID: id, State: subscribers.ImportRunning, Queued: true}, done: make(chan struct{})}
	r.mu.Lock()
	r.jobs[id] = j
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(id, j, req)
	}()
	return id, nil
}

func (r *Runner) run(id int64, j *job, req Request) {
	defer close(j.done)
	if req.RemoveFile {
		defer os.Remove(req.Path)
	}
	select {
	case r.turn <- struct{}{}:
		defer func() { <-r.turn }()
	case <-r.ctx.Done():
		r.finish(id, j, nil, r.ctx.Err())
		return
	}
	j.mu.Lock()
	j.p.Queued = false
	j.mu.Unlock()

	cfg := req.Import
	cfg.Progress = func(p subscribers.ImportProgress) {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.p.Rows, j.p.Elapsed = p.Rows, p.Elapsed
		if s := p.Elapsed.Seconds(); s > 0 {
			j.p.RowsPerSec = float64(p.Rows) / s
		}
		if p.Size > 0 && p.BytesRead > 0 {
			frac := min(float64(p.BytesRead)/float64(p.Size), 1)
			j.p.Percent = frac * 100
			j.p.ETA = time.Duration(float64(p.Elapsed) * (1 - frac) / frac).Round(time.Second)
		}
	}
	f, err := os.Open(req.Path)
	if err != nil {
		r.finish(id, j, nil, fmt.Errorf("open the uploaded file: %w", err))
		return
	}
	defer f.Close()
	started := time.Now()
	res, err := csvimport.Import(r.ctx, r.store, req.FileName, f, cfg)
	r.log.Info("import ended", "import", id, "file", req.FileName, "actor", req.Actor, "dry_run", cfg.DryRun,
		"seconds", time.Since(started).Seconds(), "err", err)
	r.finish(id, j, res, err)
}

// finish records the outcome in the history and in the job's progress.
func (r *Runner) finish(id int64, j *job, res *subscribers.ImportResult, err error) {
	state, msg := subscribers.ImportFinished, ""
	switch {
	case errors.Is(err, context.Canceled):
		state, msg = subscribers.ImportInterrupted, "the server stopped during the import; run it again: rows already imported are not duplicated"
	case err != nil:
		state, msg = subscribers.ImportFailed, err.Error()
	}
	// Recorded even while shutting down: the history must say how it ended.
	// A busy database (a long write elsewhere) is waited out, a few times:
	// a record left "running" would strand the import's page.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), time.Minute)
	defer cancel()
	for attempt := 1; ; attempt++ {
		ferr := r.store.FinishImportRecord(ctx, id, state, res, msg)
		if ferr == nil {
			break
		}
		r.log.Error("record the end of an import", "import", id, "attempt", attempt, "err", ferr)
		if errors.Is(ferr, subscribers.ErrNotFound) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.p.State, j.p.Result, j.p.Err, j.p.Queued = state, res, msg, false
	if res != nil {
		j.p.Rows = res.Rows
		j.p.Elapsed = time.Duration(res.Seconds * float64(time.Second))
		if res.Seconds > 0 {
			j.p.RowsPerSec = float64(res.Rows) / res.Seconds
		}
	}
	if state == subscribers.ImportFinished {
		j.p.Percent, j.p.ETA = 100, 0
	}
}

// Progress returns a snapshot of an import this runner started; false if
// it did not (see the store's history for older imports).
func (r *Runner) Progress(id int64) (Progress, bool) {
	r.mu.Lock()
	j, ok := r.jobs[id]
	r.mu.Unlock()
	if !ok {
		return Progress{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.p, true
}

// Wait blocks until the import ends or ctx is done, and returns its last
// progress.
func (r *Runner) Wait(ctx context.Context, id int64) (Progress, error) {
	r.mu.Lock()
	j, ok := r.jobs[id]
	r.mu.Unlock()
	if !ok {
		return Progress{}, fmt.Errorf("import %d: %w", id, subscribers.ErrNotFound)
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return Progress{}, ctx.Err()
	}
	p, _ := r.Progress(id)
	return p, nil
}

// Close stops running imports (they are recorded as interrupted, with the
// rows they imported kept) and waits for their goroutines to end.
func (r *Runner) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}
