package smtptest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Scripted is a bare SMTP server on 127.0.0.1, written for tests of the
// transaction itself: it advertises only the EHLO extensions it is given
// (so a test can take PIPELINING or CHUNKING away, which go-smtp always
// offers), and a test can replace the reply to any command with another,
// or with a dropped connection, including the DATA command itself and
// the end of a message. It records every command line, and whether the
// client had already sent more behind it, which is how pipelining shows.
//
// The commands it knows are EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET,
// NOOP and QUIT; "." names the end of a DATA message in On.
type Scripted struct {
	ext []string
	ln  net.Listener
	wg  sync.WaitGroup
	// done is closed by Close: it ends Act.Hold waits.
	done chan struct{}

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	serial   int
	rules    map[string]map[int]Act // verb → nth over the server's life → act
	seen     map[string]int
	delay    time.Duration
	msgs     []Message
	commands []Command
}

// Act replaces the reply to one command.
type Act struct {
	// Reply is the reply line sent instead of the usual one, e.g.
	// "550 5.1.1 user unknown". A 2xx or 3xx reply accepts.
	Reply string
	// Drop closes the connection with a TCP reset instead of replying. A
	// message whose end is dropped is kept, as a server that queued it
	// and then crashed would have: the client cannot tell.
	Drop bool
	// Hold, when set, keeps the reply (or the drop) until it is closed,
	// so a test can look at the client's state mid-transaction. Close
	// ends the wait too.
	Hold <-chan struct{}
}

// Command is one command line the server read.
type Command struct {
	Conn int    // serial number of the connection, from 1
	Line string // without CRLF
	// Pipelined is set when the client had already sent more than this
	// line when the server read it: the command came in one write with
	// what follows (RFC 2920).
	Pipelined bool
}

// NewScripted starts a Scripted server advertising the given EHLO
// keywords ("PIPELINING", "8BITMIME", "CHUNKING"…) and closes it when the
// test ends.
func NewScripted(tb testing.TB, extensions ...string) *Scripted {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s := &Scripted{ext: extensions, ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{}),
		rules: map[string]map[int]Act{}, seen: map[string]int{}}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

// On makes the nth command verb (counted from 1 over every connection
// since the server started) get act instead of its usual reply.
func (s *Scripted) On(verb string, nth int, act Act) {
	verb = strings.ToUpper(verb)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rules[verb] == nil {
		s.rules[verb] = map[int]Act{}
	}
	s.rules[verb][nth] = act
}

// SetDelay makes every reply after the EHLO's wait d, like a slow or
// distant server.
func (s *Scripted) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Host returns "127.0.0.1".
func (s *Scripted) Host() string { return "127.0.0.1" }

// Port returns the port the server listens on.
func (s *Scripted) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr returns "127.0.0.1:port".
func (s *Scripted) Addr() string { return s.ln.Addr().String() }

// Messages returns the messages the server accepted (or kept, see Act.Drop).
func (s *Scripted) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Commands returns the command lines read so far, in order.
func (s *Scripted) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands...)
}

// Close stops the server and waits for its connections to end.
func (s *Scripted) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Scripted) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.serial++
		serial := s.serial
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			(&scriptedConn{srv: s, nc: nc, serial: serial, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}).serve()
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			_ = nc.Close()
		}()
	}
}

// scriptedConn is one connection's session state.
type scriptedConn struct {
	srv    *Scripted
	nc     net.Conn
	serial int
	r      *bufio.Reader
	w      *bufio.Writer
	from   string
	to     []string
	hasTx  bool   // MAIL was accepted
	chunks []byte // BDAT chunks so far
}

func (c *scriptedConn) serve() {
	if !c.reply("", "220 scripted.localhost ESMTP") {
		return
	}
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		c.srv.mu.Lock()
		c.srv.commands = append(c.srv.commands, Command{Conn: c.serial, Line: line, Pipelined: c.r.Buffered() > 0})
		c.srv.mu.Unlock()
		if !c.command(verb, arg) {
			return
		}
	}
}

// command answers one command; false ends the connection. It is one case
// per SMTP verb, a table that reads better whole than split.
func (c *scriptedConn) command(verb, arg string) bool {
	switch verb {
	case "EHLO":
		lines := []string{"scripted.localhost"}
		lines = append(lines, c.srv.ext...)
		var b strings.Builder
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			b.WriteString("250" + sep + l)
			if i < len(lines)-1 {
				b.WriteString("\r\n")
			}
		}
		return c.reply(verb, b.String())
	case "HELO":
		return c.reply(verb, "250 scripted.localhost")
	case "MAIL":
		c.from, c.to, c.hasTx, c.chunks = "", nil, false, nil
		ok, accepted := c.answer(verb, "250 2.1.0 OK")
		if accepted {
			c.from, c.hasTx = address(arg), true
		}
		return ok
	case "RCPT":
		def := "250 2.1.5 OK"
		if !c.hasTx {
			def = "503 5.5.1 MAIL first"
		}
		ok, accepted := c.answer(verb, def)
		if accepted && c.hasTx {
			c.to = append(c.to, address(arg))
		}
		return ok
	case "DATA":
		def := "354 end with <CRLF>.<CRLF>"
		if !c.hasTx || len(c.to) == 0 {
			def = "554 5.5.1 no valid recipients" // RFC 2920 section 3.1
		}
		ok, accepted := c.answer(verb, def)
		if !ok || !accepted {
			return ok
		}
		data, err := readData(c.r)
		if err != nil {
			return false
		}
		return c.end(".", data)
	case "BDAT":
		f := strings.Fields(arg)
		if len(f) == 0 {
			return c.reply(verb, "501 5.5.4 no size")
		}
		size, err := strconv.Atoi(f[0])
		if err != nil || size < 0 {
			return c.reply(verb, "501 5.5.4 bad size")
		}
		chunk := make([]byte, size)
		if _, err := io.ReadFull(c.r, chunk); err != nil {
			return false
		}
		if !c.hasTx || len(c.to) == 0 {
			ok, _ := c.answer(verb, "503 5.5.1 no valid recipients")
			return ok
		}
		c.chunks = append(c.chunks, chunk...)
		if len(f) < 2 || !strings.EqualFold(f[1], "LAST") {
			ok, _ := c.answer(verb, "250 2.0.0 chunk received")
			return ok
		}
		return c.end(verb, c.chunks)
	case "RSET":
		c.from, c.to, c.hasTx, c.chunks = "", nil, false, nil
		return c.reply(verb, "250 2.0.0 OK")
	case "NOOP":
		return c.reply(verb, "250 2.0.0 OK")
	case "QUIT":
		c.reply(verb, "221 2.0.0 bye")
		return false
	}
	return c.reply(verb, "500 5.5.2 unknown command")
}

// end answers the end of a message (verb "." or "BDAT") and keeps it if
// accepted, or if the connection is dropped instead of the reply.
func (c *scriptedConn) end(verb string, data []byte) bool {
	msg := Message{From: c.from, To: c.to, Data: data, Size: len(data), Conn: c.serial, Received: time.Now()}
	c.from, c.to, c.hasTx, c.chunks = "", nil, false, nil
	act, scripted := c.srv.act(verb)
	if act.Drop || !scripted || strings.HasPrefix(act.Reply, "2") {
		c.srv.mu.Lock()
		c.srv.msgs = append(c.srv.msgs, msg)
		c.srv.mu.Unlock()
	}
	return c.send(verb, act, scripted, "250 2.0.0 queued")
}

// answer replies to verb and says whether the connection goes on and
// whether the reply accepted the command.
func (c *scriptedConn) answer(verb, def string) (ok, accepted bool) {
	act, scripted := c.srv.act(verb)
	line := def
	if scripted && !act.Drop {
		line = act.Reply
	}
	return c.send(verb, act, scripted, def), !act.Drop && (line[0] == '2' || line[0] == '3')
}

func (c *scriptedConn) reply(verb, def string) bool {
	act, scripted := c.srv.act(verb)
	return c.send(verb, act, scripted, def)
}

// send writes the reply, after the server's delay, or drops the connection.
func (c *scriptedConn) send(verb string, act Act, scripted bool, def string) bool {
	c.srv.mu.Lock()
	delay := c.srv.delay
	c.srv.mu.Unlock()
	if delay > 0 && verb != "" && verb != "EHLO" {
		time.Sleep(delay)
	}
	if scripted && act.Hold != nil {
		select {
		case <-act.Hold:
		case <-c.srv.done:
			return false
		}
	}
	if scripted && act.Drop {
		if tc, ok := c.nc.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return false
	}
	line := def
	if scripted {
		line = act.Reply
	}
	c.w.WriteString(line + "\r\n")
	return c.w.Flush() == nil
}

// act counts one more verb and returns its scripted act, if any.
func (s *Scripted) act(verb string) (Act, bool) {
	if verb == "" {
		return Act{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[verb]++
	a, ok := s.rules[verb][s.seen[verb]]
	return a, ok
}

// readData reads a DATA message up to its final "." and undoes the
// dot-stuffing (RFC 5321 section 4.5.2).
func readData(r *bufio.Reader) ([]byte, error) {
	var data []byte
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			data = append(data, line...)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read message: %w", err)
		}
		atStart := len(data) == 0 || data[len(data)-1] == '\n'
		if atStart && bytes.Equal(line, []byte(".\r\n")) {
			return data, nil
		}
		if atStart && line[0] == '.' {
			line = line[1:]
		}
		data = append(data, line...)
	}
}

// address takes the mailbox out of "FROM:<a@b> BODY=8BITMIME".
func address(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
	return strings.Trim(rest, "<>")
}
