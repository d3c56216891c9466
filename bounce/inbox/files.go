package inbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ProcessFiles processes files that each hold one message (.eml) or an
// mbox (recognised by its first "From " line). A file that cannot be read
// is counted in Errors and reported through fn, and the others are still
// processed; the error is for a cancelled ctx.
func (p *Processor) ProcessFiles(ctx context.Context, paths []string, fn func(Outcome)) (Summary, error) {
	var sum Summary
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		s, err := p.processFile(ctx, path, fn)
		sum.Merge(s)
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		if err != nil {
			p.unreadable(ctx, &sum, fn, path, err)
		}
	}
	return sum, nil
}

func (p *Processor) processFile(ctx context.Context, path string, fn func(Outcome)) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(fromLine))
	if bytes.Equal(head, fromLine) {
		return p.processMbox(ctx, br, path, fn)
	}
	raw, err := io.ReadAll(io.LimitReader(br, readLimit))
	if err != nil {
		return Summary{}, fmt.Errorf("read %s: %w", path, err)
	}
	var sum Summary
	p.handle(ctx, raw, path, &sum, fn)
	return sum, nil
}

// ProcessMaildir processes the messages in a maildir's new/ and cur/
// (tmp/ holds mail still being written). Files are left where they are:
// processing is idempotent, so running it again only counts duplicates.
// Failures are handled as in ProcessFiles; the error is for a directory
// that is not a maildir or cannot be listed, or a cancelled ctx.
func (p *Processor) ProcessMaildir(ctx context.Context, dir string, fn func(Outcome)) (Summary, error) {
	var sum Summary
	found := false
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("read maildir %s: %w", dir, err)
		}
		found = true
		var paths []string
		for _, e := range entries {
			// Dot files are not messages (maildir++ keeps state in them).
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			paths = append(paths, filepath.Join(dir, sub, e.Name()))
		}
		s, err := p.processMaildirFiles(ctx, paths, fn)
		sum.Merge(s)
		if err != nil {
			return sum, err
		}
	}
	if !found {
		return sum, fmt.Errorf("%s is not a maildir: it has neither new/ nor cur/", dir)
	}
	return sum, nil
}

// processMaildirFiles reads each file as one message, never as an mbox: a
// maildir message may legitimately start with a "From " line left by the
// delivery agent.
func (p *Processor) processMaildirFiles(ctx context.Context, paths []string, fn func(Outcome)) (Summary, error) {
	var sum Summary
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		raw, err := readFile(path)
		if err != nil {
			p.unreadable(ctx, &sum, fn, path, err)
			continue
		}
		raw = stripFromLine(raw)
		p.handle(ctx, raw, path, &sum, fn)
	}
	return sum, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, readLimit))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return raw, nil
}

// stripFromLine drops an mbox-style "From " envelope line some delivery
// agents put at the top of maildir files.
func stripFromLine(raw []byte) []byte {
	if !bytes.HasPrefix(raw, fromLine) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return raw
}

// unreadable counts a file that could not be read in the summary, reports
// it through fn and logs it; the other files are still processed.
func (p *Processor) unreadable(ctx context.Context, sum *Summary, fn func(Outcome), path string, err error) {
	o := Outcome{Source: path, Error: err.Error()}
	sum.Add(o)
	if fn != nil {
		fn(o)
	}
	p.log.ErrorContext(ctx, "bounce mail: read file", "source", path, "err", err)
}
