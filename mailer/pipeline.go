package mailer

import (
	"errors"
	"net/textproto"
	"strconv"
	"strings"
)

// The pipelined transaction is ours, on the text connection of go-mail's
// smtp.Client (its exported Text field): go-mail's Mail, Rcpt and Data
// each write their command and then block on its reply under the
// client's lock, and it has no way to queue a command without reading
// the answer, so it cannot be driven to pipeline. go-mail still dials,
// says EHLO, negotiates TLS and authenticates; only MAIL, RCPT and DATA
// (or BDAT) are written here, with the parameters go-mail's Mail would
// add.
//
// CHUNKING (RFC 3030): "BDAT n LAST" with the message rides in the same
// write as MAIL and RCPT, one round trip per message instead of two
// (1.6-1.7 times the rate through a 10 ms link, docs/benchmarks.md). It is
// opt-in (Relay.Chunking, smtp.chunking) because it gives up two things:
// a connection lost after that write and before any reply can no longer
// be told from a message the server took, so it costs the recipient an
// attempt and counts as a possible duplicate, where with DATA it is the
// relay's fault and free; and a refused recipient has been sent the whole
// message for nothing.

// sendPipelined runs one mail transaction with PIPELINING (RFC 2920):
// MAIL FROM, RCPT TO and DATA go out in one write and their replies are
// read in order, then the message and its final "." go out in a second
// write. Two round trips per message instead of four.
//
// The replies map to the outcome the lockstep transaction would give:
// a refused MAIL is the sender's refusal, a refused RCPT the recipient's;
// the reply to DATA after either (RFC 2920 says 503 or 554, go-smtp says
// 502) is not a second failure, and RSET resets the transaction for the
// next message. A reply that never comes (the connection broke) is the
// step it belonged to, as in lockstep: before the recipient's reply the
// relay broke off, after it the attempt counts, and after the whole
// message the server may have it (a possible duplicate).
func (c *conn) sendPipelined(m *message) error {
	if err := c.sc.UpdateDeadline(c.relay.cfg.Timeout); err != nil {
		return c.fail(m, stepMail, err)
	}
	// go-mail's Mail and Rcpt refuse a line break in an address; so do we
	// (build never makes one).
	if strings.ContainsAny(m.from, "\r\n") || strings.ContainsAny(m.to, "\r\n") {
		return c.fail(m, stepMail, errors.New("smtp: an address contains CR or LF"))
	}
	// Nothing was answered when the write fails: with DATA no message can
	// have been taken; with BDAT the chunk was cut short, so neither.
	if err := c.writePipelined(m); err != nil {
		return c.fail(m, stepMail, err)
	}
	return pipelined{c: c, m: m, bdat: c.ext.chunking}.replies()
}

// writePipelined writes MAIL FROM, RCPT TO and DATA (or BDAT with the
// whole message) in one write.
func (c *conn) writePipelined(m *message) error {
	w := c.sc.Text.W
	w.WriteString("MAIL FROM:")
	w.WriteString(m.from)
	if c.ext.eightBit {
		w.WriteString(" BODY=8BITMIME")
	}
	// SMTPUTF8 only when an address needs it, as in send.
	if c.ext.smtpUTF8 && m.needsSMTPUTF8() {
		w.WriteString(" SMTPUTF8")
	}
	w.WriteString("\r\nRCPT TO:")
	w.WriteString(m.to)
	if c.ext.chunking {
		// No dot-stuffing and no final ".": the size says where it ends.
		var n [20]byte
		w.WriteString("\r\nBDAT ")
		w.Write(strconv.AppendInt(n[:0], int64(len(m.data)), 10))
		w.WriteString(" LAST\r\n")
		w.Write(m.data)
	} else {
		w.WriteString("\r\nDATA\r\n")
	}
	// bufio.Writer keeps its first error, so Flush reports any.
	return w.Flush()
}

// pipelined reads the replies to one pipelined transaction.
type pipelined struct {
	c    *conn
	m    *message
	bdat bool // the message went out with the envelope (CHUNKING)
}

// replies reads the replies to MAIL, RCPT and DATA (or BDAT) in order and
// turns them into the outcome, then sends the message after DATA.
func (p pipelined) replies() error {
	c, m := p.c, p.m
	errMail := p.read(250)
	if broken(errMail) {
		return c.fail(m, p.lost(stepMail), errMail)
	}
	if closing(errMail) {
		return c.fail(m, stepMail, errMail) // nothing more will be answered
	}
	errRcpt := p.read(25)
	switch {
	case broken(errRcpt) && errMail != nil:
		return p.envelope(errMail, nil) // its RSET fails, and the connection goes
	case broken(errRcpt):
		return c.fail(m, p.lost(stepRcpt), errRcpt)
	case closing(errRcpt):
		return p.envelope(errMail, errRcpt)
	}
	want := 354
	if p.bdat {
		want = 250
	}
	errData := p.read(want)
	if broken(errData) {
		if errMail != nil || errRcpt != nil {
			return p.envelope(errMail, errRcpt)
		}
		return c.fail(m, p.lost(stepData), errData)
	}
	if errMail != nil || errRcpt != nil {
		if errData == nil && !p.bdat {
			// A server that says 354 to a transaction without a
			// recipient wants a message all the same: end an empty one,
			// whatever it answers, and RSET.
			w := c.sc.Text.W
			w.WriteString(".\r\n")
			if w.Flush() == nil {
				_ = p.read(0)
			}
		}
		return p.envelope(errMail, errRcpt)
	}
	if p.bdat {
		if errData != nil {
			return c.fail(m, stepEnd, errData) // the reply to the whole message
		}
		return nil
	}
	if errData != nil {
		return c.fail(m, stepData, errData)
	}
	return c.sendBody(m)
}

// read reads the next reply, expecting the code (a prefix of it).
func (p pipelined) read(expect int) error {
	if err := p.c.sc.UpdateDeadline(p.c.relay.cfg.Timeout); err != nil {
		return err
	}
	_, _, err := p.c.sc.Text.ReadResponse(expect)
	return err
}

// lost is the step a reply lost at step s counts as: with BDAT the whole
// message went out with the envelope, so a reply lost from then on may be
// the server's acceptance.
func (p pipelined) lost(s step) step {
	if p.bdat {
		return stepEnd
	}
	return s
}

// envelope is the outcome once MAIL or RCPT was refused: that reply,
// whatever came after it.
func (p pipelined) envelope(errMail, errRcpt error) error {
	if errMail != nil {
		return p.c.fail(p.m, stepMail, errMail)
	}
	return p.c.fail(p.m, stepRcpt, errRcpt)
}

// broken reports an error that is not the server's reply: the connection
// failed, timed out or fell out of step, so no later reply can be read.
func broken(err error) bool {
	var reply *textproto.Error
	return err != nil && !errors.As(err, &reply)
}

// closing reports a 421 reply: the server is closing the connection.
func closing(err error) bool {
	var reply *textproto.Error
	return errors.As(err, &reply) && reply.Code == 421
}
