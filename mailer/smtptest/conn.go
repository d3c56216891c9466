package smtptest

import (
	"bytes"
	"net"
	"strconv"
	"sync"

	"github.com/dispatchhq/dispatch/internal/smtpserve"
)

// verbs are the SMTP commands whose use Stats.Commands reports.
var verbs = [...]string{
	"HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT",
	"RSET", "NOOP", "QUIT", "VRFY", "AUTH", "STARTTLS",
}

const (
	verbNone = -1
	verbBDAT = 5
	verbDATA = 4
	verbTLS  = 11
)

// conn wraps the raw TCP connection, below any TLS layer. It counts the
// client's commands by watching the plain-text byte stream, because go-smtp
// answers NOOP, RSET and QUIT itself without telling the backend.
//
// Read and Write are only called from the connection's go-smtp goroutine, so
// the scanner state needs no lock.
type conn struct {
	net.Conn
	srv    *Server
	serial int

	scan      bool // false under TLS: the bytes are ciphertext
	mode      scanMode
	line      [32]byte // start of the current command line
	lineN     int
	tail      [3]byte // last bytes of DATA seen, to find a split end marker
	tailN     int
	chunk     int64 // BDAT bytes still to skip
	await354  bool  // DATA was sent and no 354 has answered it yet
	dropOn354 bool  // DropOnData: reset the connection instead of the 354
	accepted  int   // messages accepted on this connection
	closeOnce sync.Once
}

type scanMode uint8

const (
	modeCommand scanMode = iota
	modeData             // inside DATA, until CRLF.CRLF
	modeChunk            // inside a BDAT chunk
)

// endOfData ends a DATA body (RFC 5321 section 4.1.1.4); the CR before it is
// implied, as the DATA line itself ends in LF.
var endOfData = []byte("\n.\r\n")

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.scan {
		c.scanClient(p[:n])
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	if c.dropOn354 && bytes.HasPrefix(p, []byte("354")) {
		c.dropOn354 = false
		c.drop()
		return 0, net.ErrClosed
	}
	if c.scan && len(c.srv.cfg.HideExtensions) > 0 && c.srv.hidden(p) {
		return len(p), nil // as if written: go-smtp never knows
	}
	if c.await354 {
		c.serverReplied(p)
	}
	return c.Conn.Write(p)
}

// hidden reports an EHLO reply line naming an extension the server must
// not advertise. go-smtp writes each line of a reply on its own and ends
// its EHLO reply with other keywords than the hidden ones.
func (s *Server) hidden(p []byte) bool {
	line, ok := bytes.CutPrefix(p, []byte("250-"))
	if !ok {
		return false
	}
	word, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	for _, ext := range s.cfg.HideExtensions {
		if bytes.EqualFold(word, []byte(ext)) {
			return true
		}
	}
	return false
}

// serverReplied looks for the reply to DATA: only after "354" does the
// client send the message body, which must not be read as commands. A
// pipelining client (RFC 2920) sends MAIL, RCPT and DATA together, so
// the replies to MAIL and RCPT come first, and a refused DATA gets no
// 354 at all; 354 answers nothing but DATA, so any 354 is the one.
func (c *conn) serverReplied(p []byte) {
	for len(p) > 0 {
		if bytes.HasPrefix(p, []byte("354")) {
			c.await354 = false
			c.mode = modeData
			c.tail[0], c.tailN = '\n', 1
			return
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return
		}
		p = p[i+1:]
	}
}

// Close is called by go-smtp when the session ends and by Server.Close.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.srv.untrack)
	return err
}

// drop closes the socket with a TCP reset, as a crashed server would.
func (c *conn) drop() { smtpserve.Reset(c.Conn) }

func (c *conn) scanClient(p []byte) {
	for len(p) > 0 && c.scan {
		switch c.mode {
		case modeChunk:
			n := min(int64(len(p)), c.chunk)
			p, c.chunk = p[n:], c.chunk-n
			if c.chunk == 0 {
				c.mode = modeCommand
			}
		case modeData:
			end := c.dataEnd(p)
			if end < 0 {
				return
			}
			p, c.mode = p[end:], modeCommand
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				c.lineN += copy(c.line[c.lineN:], p)
				return
			}
			c.lineN += copy(c.line[c.lineN:], p[:i])
			c.endLine()
			p = p[i+1:]
		}
	}
}

// dataEnd returns the index in p just past the end-of-data marker, or -1,
// remembering the last bytes in case the marker is split across reads.
func (c *conn) dataEnd(p []byte) int {
	var joined [6]byte
	n := copy(joined[:], c.tail[:c.tailN])
	head := copy(joined[n:], p)
	if i := bytes.Index(joined[:n+head], endOfData); i >= 0 {
		return i + len(endOfData) - c.tailN
	}
	if i := bytes.Index(p, endOfData); i >= 0 {
		return i + len(endOfData)
	}
	if len(p) >= len(c.tail) {
		c.tailN = copy(c.tail[:], p[len(p)-len(c.tail):])
		return -1
	}
	keep := append(c.tail[:c.tailN:c.tailN], p...)
	c.tailN = copy(c.tail[:], keep[len(keep)-min(len(keep), len(c.tail)):])
	return -1
}

func (c *conn) endLine() {
	line := bytes.TrimRight(c.line[:c.lineN], "\r")
	c.lineN = 0
	word, arg, _ := bytes.Cut(line, []byte(" "))
	v := verbNone
	for i, name := range verbs {
		if bytes.EqualFold(word, []byte(name)) {
			v = i
			break
		}
	}
	if v == verbNone {
		return // unknown command or a SASL response line
	}
	c.srv.cmds[v].Add(1)
	switch v {
	case verbDATA:
		c.await354 = true
	case verbBDAT:
		size, _, _ := bytes.Cut(bytes.TrimSpace(arg), []byte(" "))
		if n, err := strconv.ParseUint(string(size), 10, 32); err == nil && n > 0 {
			c.mode, c.chunk = modeChunk, int64(n)
		}
	case verbTLS:
		if c.srv.tlsConf != nil {
			c.scan = false // go-smtp answers 220 and the rest is TLS
		}
	}
}
