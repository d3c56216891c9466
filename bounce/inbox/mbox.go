package inbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
)

// maxMessageBytes bounds one message read from a file or mailbox. Bounces
// quote the original message, which may carry large attachments; what the
// classifier needs is always near the top, and package bounce reads no
// further than this either.
const maxMessageBytes = 16 << 20

// readLimit is what the readers keep of one message: a byte past the limit
// tells Process that the message was cut, which it must say rather than
// pass the rest off as the whole message.
const readLimit = maxMessageBytes + 1

// appendCapped appends b to msg, keeping at most readLimit bytes in all.
func appendCapped(msg, b []byte) []byte {
	if room := readLimit - len(msg); room < len(b) {
		b = b[:max(room, 0)]
	}
	return append(msg, b...)
}

// ProcessMbox processes every message of an mbox file (mboxo or mboxrd:
// messages start at "From " lines; ">From " lines are unescaped by one
// '>'). Input that does not start with a "From " line is taken as a single
// message. fn, if not nil, is called with each outcome. A message that
// fails is counted in Errors and logged, and processing goes on; the error
// is for a failed read or a cancelled ctx.
func (p *Processor) ProcessMbox(ctx context.Context, r io.Reader, fn func(Outcome)) (Summary, error) {
	return p.processMbox(ctx, r, "mbox", fn)
}

func (p *Processor) processMbox(ctx context.Context, r io.Reader, name string, fn func(Outcome)) (Summary, error) {
	var sum Summary
	n := 0
	err := splitMbox(r, func(raw []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		p.handle(ctx, raw, fmt.Sprintf("%s#%d", name, n), &sum, fn)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		return sum, fmt.Errorf("read %s: %w", name, err)
	}
	return sum, nil
}

// handle processes one message of a batch. A failure is counted, reported
// through fn and logged here, so the batch goes on.
func (p *Processor) handle(ctx context.Context, raw []byte, src string, sum *Summary, fn func(Outcome)) error {
	o, err := p.Process(ctx, raw, src)
	sum.Add(o)
	if fn != nil {
		fn(o)
	}
	if err != nil {
		p.log.ErrorContext(ctx, "bounce mail: process", "source", src, "err", err)
	}
	return err
}

var fromLine = []byte("From ")

// splitMbox calls emit with each message of an mbox, without its "From "
// envelope line and the blank line that separates it from the next.
func splitMbox(r io.Reader, emit func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		msg     []byte
		line    []byte
		mode    int // 0: not yet known, 1: mbox, 2: a single plain message
		started bool
	)
	flush := func() error {
		m := trimSeparator(msg)
		msg = nil
		if !started || len(bytes.TrimSpace(m)) == 0 {
			return nil
		}
		return emit(m)
	}
	for {
		var err error
		line, err = readLine(br, line)
		if len(line) > 0 {
			switch {
			case mode == 0 && len(bytes.TrimSpace(line)) == 0:
				// Blank lines before the first message.
			case mode != 2 && bytes.HasPrefix(line, fromLine):
				if ferr := flush(); ferr != nil {
					return ferr
				}
				mode, started = 1, true
			case mode == 0:
				mode, started = 2, true
				msg = append(msg, line...)
			default:
				if mode == 1 && escapedFrom(line) {
					line = line[1:]
				}
				msg = appendCapped(msg, line)
			}
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line into buf, keeping at most readLimit bytes of it.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		buf = appendCapped(buf, chunk)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

// escapedFrom reports whether line is ">From ", ">>From ", ...: a body line
// the mbox writer escaped.
func escapedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], fromLine)
}

// trimSeparator drops the blank line an mbox writer puts after a message.
func trimSeparator(m []byte) []byte {
	switch {
	case bytes.HasSuffix(m, []byte("\r\n\r\n")):
		return m[:len(m)-2]
	case bytes.HasSuffix(m, []byte("\n\n")):
		return m[:len(m)-1]
	}
	return m
}
