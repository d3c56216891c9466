package mailer

import (
	"errors"
	"net/textproto"
	"time"
)

// step is a stage of one SMTP mail transaction; a failure says which.
type step int

const (
	stepMail step = iota // MAIL FROM
	stepRcpt             // RCPT TO
	stepData             // the DATA command, before any of the message is sent
	stepBody             // writing the message and its final "."
	stepEnd              // the reply to the final ".": the server has the whole message
)

func (s step) String() string {
	return [...]string{"mail from", "rcpt to", "data", "message", "end of data"}[s]
}

// sendError is a failed transaction: the step, and the server's reply
// (*textproto.Error) or the I/O error.
type sendError struct {
	step step
	err  error
	from string // the envelope sender: a refusal that names it is about us
	// outOfStep is set when the RSET after a refused MAIL or RCPT failed:
	// the connection could not carry the next message, and send closed it.
	outOfStep bool
}

func (e *sendError) Error() string { return e.step.String() + ": " + e.err.Error() }

func (e *sendError) Unwrap() error { return e.err }

// send runs one mail transaction. With PIPELINING it is sendPipelined;
// without, MAIL, RCPT, DATA and the message each wait for their reply,
// each with the relay's timeout. After a refused MAIL or RCPT it sends
// RSET, so the connection can carry the next message (or closes it if RSET
// fails); whether any other failure leaves it usable is for classify to
// say.
func (c *conn) send(m *message, now time.Time) error {
	c.sent++
	c.lastUse = now
	if c.ext.pipelining {
		return c.sendPipelined(m)
	}
	sc := c.sc
	timeout := c.relay.cfg.Timeout
	if err := sc.UpdateDeadline(timeout); err != nil {
		return c.fail(m, stepMail, err)
	}
	// SMTPUTF8 (RFC 6531) only when an address needs it: asking for it
	// on all-ASCII mail makes servers without it refuse mail they could
	// take, and some relays treat it as a sign of spam.
	sc.SkipSMTPUTF8(!m.needsSMTPUTF8())
	if err := sc.Mail(m.from); err != nil {
		return c.fail(m, stepMail, err)
	}
	if err := sc.UpdateDeadline(timeout); err != nil {
		return c.fail(m, stepRcpt, err)
	}
	if err := sc.Rcpt(m.to); err != nil {
		return c.fail(m, stepRcpt, err)
	}

	// DATA and the message go through the text connection directly:
	// go-mail's data writer dot-stuffs byte by byte, which the message is
	// built not to need.
	t := sc.Text
	if err := sc.UpdateDeadline(timeout); err != nil {
		return c.fail(m, stepData, err)
	}
	id, err := t.Cmd("DATA")
	if err != nil {
		return c.fail(m, stepData, err)
	}
	t.StartResponse(id)
	_, _, err = t.ReadResponse(354)
	t.EndResponse(id)
	if err != nil {
		return c.fail(m, stepData, err)
	}
	return c.sendBody(m)
}

// sendBody sends the message after a 354 and reads the reply to its end.
func (c *conn) sendBody(m *message) error {
	t := c.sc.Text
	// The message needs no dot-stuffing (RFC 5321 section 4.5.2): no line
	// of it starts with "." (see message.data).
	body := m.data
	if err := c.sc.UpdateDeadline(c.relay.cfg.Timeout); err != nil {
		return c.fail(m, stepBody, err)
	}
	// The final "." rides in the same write when the buffer has room for
	// it (build leaves some).
	if cap(body)-len(body) >= 3 {
		body = append(body, ".\r\n"...)
	} else if _, err := t.W.Write(body); err != nil {
		return c.fail(m, stepBody, err)
	} else {
		body = []byte(".\r\n")
	}
	if _, err := t.W.Write(body); err != nil {
		return c.fail(m, stepBody, err)
	}
	if err := t.W.Flush(); err != nil {
		return c.fail(m, stepBody, err)
	}
	if _, _, err := t.ReadResponse(25); err != nil {
		return c.fail(m, stepEnd, err)
	}
	return nil
}

// fail makes the sendError for a step. After a refused MAIL or RCPT
// (other than 421, the server closing) it resets the transaction with
// RSET; if that fails the connection is out of step and is closed.
func (c *conn) fail(m *message, s step, err error) error {
	se := &sendError{step: s, err: err, from: m.from}
	var reply *textproto.Error
	if s <= stepRcpt && errors.As(err, &reply) && reply.Code != 421 {
		if c.sc.UpdateDeadline(c.relay.cfg.Timeout) != nil || c.sc.Reset() != nil {
			se.outOfStep = true
			c.abandon() // not worth a QUIT
		}
	}
	return se
}
