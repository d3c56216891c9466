package smtptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"time"
)

// RawClient is a bare SMTP client: one connection, EHLO once, then MAIL,
// RCPT, DATA and the message per Send, with no MIME, rendering or
// bookkeeping. It measures the most a sender could reach on a machine;
// Dispatch does not send mail with it.
//
// A RawClient is not safe for concurrent use; use one per goroutine.
type RawClient struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	buf  []byte // reused for dot-stuffing
	dead error  // set after an I/O error: the connection is unusable

	// Pipelining sends MAIL, RCPT and DATA in one write and then reads the
	// three replies (RFC 2920), two round trips per message instead of four.
	// The server must advertise PIPELINING.
	Pipelining bool
}

// DialRaw connects to addr, reads the greeting and sends EHLO. ctx bounds
// the dial and the greeting only.
func DialRaw(ctx context.Context, addr string) (*RawClient, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &RawClient{conn: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, c.interrupt)
	defer stop()
	if err := c.reply(220); err != nil {
		nc.Close()
		return nil, fmt.Errorf("read greeting: %w", c.ctxErr(ctx, err))
	}
	c.w.WriteString("EHLO localhost\r\n")
	if err := c.flushReply(250); err != nil {
		nc.Close()
		return nil, fmt.Errorf("ehlo: %w", c.ctxErr(ctx, err))
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// Send sends one message from the envelope sender from to one recipient and
// returns once the server accepted it. msg is the RFC 5322 message with
// CRLF line endings; Send dot-stuffs it (RFC 5321 section 4.5.2) only if a
// line starts with ".". A refused command returns a *textproto.Error and
// leaves the client usable; an I/O error or a cancelled ctx leaves it
// unusable.
func (c *RawClient) Send(ctx context.Context, from, to string, msg []byte) error {
	if c.dead != nil {
		return fmt.Errorf("send: connection unusable: %w", c.dead)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, c.interrupt)
		defer stop()
	}
	err := c.send(from, to, msg)
	var perr *textproto.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &perr):
		// A refused MAIL or RCPT leaves a transaction open; end it so the
		// next Send starts clean.
		if rerr := c.rset(); rerr != nil {
			c.dead = rerr
		}
		return err
	default:
		c.dead = err
		return c.ctxErr(ctx, err)
	}
}

func (c *RawClient) send(from, to string, msg []byte) error {
	c.w.WriteString("MAIL FROM:<")
	c.w.WriteString(from)
	c.w.WriteString(">\r\n")
	if !c.Pipelining {
		if err := c.flushReply(250); err != nil {
			return fmt.Errorf("mail from: %w", err)
		}
	}
	c.w.WriteString("RCPT TO:<")
	c.w.WriteString(to)
	c.w.WriteString(">\r\n")
	if !c.Pipelining {
		if err := c.flushReply(250); err != nil {
			return fmt.Errorf("rcpt to: %w", err)
		}
	}
	c.w.WriteString("DATA\r\n")
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if c.Pipelining {
		// Read all three replies even after a refusal, to stay in step.
		errMail, errRcpt := c.reply(250), c.reply(250)
		errData := c.reply(354)
		if err := errors.Join(errMail, errRcpt); err != nil {
			if errData == nil { // server wants the body: abort with an empty one
				c.w.WriteString(".\r\n")
				_ = c.flushReply(250)
			}
			return fmt.Errorf("mail/rcpt: %w", firstErr(errMail, errRcpt))
		}
		if errData != nil {
			return fmt.Errorf("data: %w", errData)
		}
	} else if err := c.reply(354); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	c.writeBody(msg)
	c.w.WriteString(".\r\n")
	if err := c.flushReply(250); err != nil {
		return fmt.Errorf("end of data: %w", err)
	}
	return nil
}

func (c *RawClient) writeBody(msg []byte) {
	if len(msg) > 0 && msg[0] != '.' && !bytes.Contains(msg, []byte("\n.")) {
		c.w.Write(msg)
	} else {
		c.buf = dotStuff(c.buf[:0], msg)
		c.w.Write(c.buf)
	}
	if !bytes.HasSuffix(msg, []byte("\r\n")) {
		c.w.WriteString("\r\n")
	}
}

// dotStuff doubles the dot that starts any line.
func dotStuff(dst, msg []byte) []byte {
	atLineStart := true
	for len(msg) > 0 {
		if atLineStart && msg[0] == '.' {
			dst = append(dst, '.')
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			return append(dst, msg...)
		}
		dst = append(dst, msg[:i+1]...)
		msg = msg[i+1:]
		atLineStart = true
	}
	return dst
}

func (c *RawClient) rset() error {
	c.w.WriteString("RSET\r\n")
	err := c.flushReply(250)
	var perr *textproto.Error
	if errors.As(err, &perr) {
		return nil // the server answered: the connection is in step
	}
	return err
}

// Close sends QUIT and closes the connection.
func (c *RawClient) Close() error {
	if c.dead == nil {
		c.w.WriteString("QUIT\r\n")
		_ = c.flushReply(221)
	}
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

func (c *RawClient) flushReply(want int) error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.reply(want)
}

// reply reads one possibly multi-line reply. It does not allocate when the
// code is the one wanted, which keeps the ceiling measurement honest.
func (c *RawClient) reply(want int) error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 {
			return textproto.ProtocolError("short reply: " + strconv.Quote(string(line)))
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if line[3] == '-' {
			continue
		}
		if code != want {
			return &textproto.Error{Code: code, Msg: string(bytes.TrimRight(line[4:], "\r\n"))}
		}
		return nil
	}
}

// interrupt unblocks a pending read or write when ctx is done.
func (c *RawClient) interrupt() { _ = c.conn.SetDeadline(time.Unix(1, 0)) }

func (c *RawClient) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
