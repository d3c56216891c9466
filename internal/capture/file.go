package capture

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// envelope is what the SMTP transaction says beyond the message itself.
type envelope struct {
	helo, remote, local string
	from                string
	to                  []string
}

// save writes the trace headers and the message to a temporary file in the
// folder and renames it into place, so a reader never sees half a message.
// No fsync: the folder is a preview for a person, not a queue.
func (s *Server) save(env envelope, r io.Reader) (path string, size int64, err error) {
	n := s.seq.Add(1)
	name := fileName(n, env.to)
	tmp, err := os.CreateTemp(s.dir, ".incoming-*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	w := bufio.NewWriterSize(tmp, 32<<10)
	if _, err = w.WriteString(traceHeader(n, env, time.Now())); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if size, err = w.ReadFrom(r); err != nil {
		return "", 0, fmt.Errorf("receive message: %w", err)
	}
	if err = w.Flush(); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	path = filepath.Join(s.dir, name)
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", 0, fmt.Errorf("rename to %s: %w", name, err)
	}
	s.count.Add(1)
	return path, size, nil
}

// traceHeader makes the lines prepended to the message: a Received line
// (RFC 5321 section 4.4) and the envelope, which the headers of a VERP
// message do not show.
func traceHeader(n int64, env envelope, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (Dispatch capture) with ESMTP id %04d;\r\n\t%s\r\n",
		headerSafe(env.helo), headerSafe(env.remote), headerSafe(env.local), n, now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "X-Dispatch-Envelope-From: <%s>\r\n", headerSafe(env.from))
	b.WriteString("X-Envelope-To: ")
	for i, to := range env.to {
		if i > 0 {
			b.WriteString(",\r\n\t") // fold: many recipients must not make an overlong line
		}
		fmt.Fprintf(&b, "<%s>", headerSafe(to))
	}
	b.WriteString("\r\n")
	return b.String()
}

// headerSafe keeps a client-supplied value from breaking out of its header.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// maxStem keeps file names well under any file system's 255-byte limit.
const maxStem = 64

// fileName is "0001-alice@example.com.eml", from the first recipient with
// "-and-N-more" for the rest. Only [a-z0-9@._+-] survive, so the name can
// never hold a path separator.
func fileName(n int64, to []string) string {
	stem := "unknown"
	if len(to) > 0 {
		stem = sanitise(to[0])
	}
	if len(to) > 1 {
		stem += "-and-" + strconv.Itoa(len(to)-1) + "-more"
	}
	return fmt.Sprintf("%04d-%s.eml", n, stem)
}

func sanitise(addr string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(addr) {
		if b.Len() >= maxStem {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune("@._+-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ".-")
	if s == "" {
		return "unknown"
	}
	return s
}

// lastNumber returns the highest NNNN of the NNNN-*.eml files in dir, so a
// restarted server never overwrites an earlier capture.
func lastNumber(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", dir, err)
	}
	var last int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "-")
		if !ok || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n > last {
			last = n
		}
	}
	return last, nil
}
