package smtptest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// script holds the scripted failures. It is guarded by Server.mu; the
// Server.scripted flag lets the unscripted accept path skip the lock.
type script struct {
	mail      *rule
	rcpt      map[string]*rule // by lower-cased address
	data      map[string]*smtp.SMTPError
	drop      map[string]*rule
	dropData  map[string]*rule // drop instead of the 354 to DATA
	dropBody  map[string]*rule // keep the message, drop instead of its reply
	dropAfter int
	delay     time.Duration
	replyWait time.Duration // before the replies to MAIL and RCPT too
}

// rule fires a reply a limited or unlimited number of times.
type rule struct {
	left int // remaining firings; negative means always
	skip int // attempts to let through before the first firing
	err  *smtp.SMTPError
}

// fire reports whether the rule applies to this attempt and uses it up.
func (r *rule) fire() bool {
	if r == nil || r.left == 0 {
		return false
	}
	if r.skip > 0 {
		r.skip--
		return false
	}
	if r.left > 0 {
		r.left--
	}
	return true
}

func newRule(n int, err *smtp.SMTPError) *rule {
	if n <= 0 {
		n = -1
	}
	return &rule{left: n, err: err}
}

// FailRcpt makes every RCPT TO for addr (case-insensitive) fail with the
// reply "code enhanced text", e.g. FailRcpt(a, 550, "5.1.1", "user unknown").
// An empty enhanced code becomes X.0.0. It replaces any earlier RCPT script
// for addr and is safe to call while clients are connected.
func (s *Server) FailRcpt(addr string, code int, enhanced, text string) {
	s.FailRcptTimes(addr, 0, code, enhanced, text)
}

// FailRcptTimes makes the first n RCPT TO commands for addr fail, then
// accepts it again, as a greylisting relay does. n <= 0 means always.
func (s *Server) FailRcptTimes(addr string, n int, code int, enhanced, text string) {
	err := smtpError(code, enhanced, text)
	s.edit(func(sc *script) {
		if sc.rcpt == nil {
			sc.rcpt = make(map[string]*rule)
		}
		sc.rcpt[strings.ToLower(addr)] = newRule(n, err)
	})
}

// FailData makes the end of DATA fail for any message with addr among its
// recipients. The body is read in full first, so the client sees the reply
// to its final ".".
func (s *Server) FailData(addr string, code int, enhanced, text string) {
	err := smtpError(code, enhanced, text)
	s.edit(func(sc *script) {
		if sc.data == nil {
			sc.data = make(map[string]*smtp.SMTPError)
		}
		sc.data[strings.ToLower(addr)] = err
	})
}

// FailMailFrom makes the first n MAIL FROM commands fail, whatever the
// sender; n == 0 means always.
func (s *Server) FailMailFrom(code int, enhanced, text string, n int) {
	err := smtpError(code, enhanced, text)
	s.edit(func(sc *script) { sc.mail = newRule(n, err) })
}

// FailNthMailFrom makes only the nth MAIL FROM (counted from 1 since the
// script was set) fail, whatever the sender.
func (s *Server) FailNthMailFrom(nth int, code int, enhanced, text string) {
	err := smtpError(code, enhanced, text)
	s.edit(func(sc *script) { sc.mail = &rule{left: 1, skip: max(nth-1, 0), err: err} })
}

// DropOnData closes the TCP connection with a reset instead of answering
// DATA, for a message to addr, the first n times (n <= 0: always). A
// pipelining client has its replies to MAIL and RCPT, and none to DATA.
func (s *Server) DropOnData(addr string, n int) {
	s.edit(func(sc *script) {
		if sc.dropData == nil {
			sc.dropData = make(map[string]*rule)
		}
		sc.dropData[strings.ToLower(addr)] = newRule(n, nil)
	})
}

// DropAfterBody reads a message to addr in full, keeps it (as a server
// that queued it and then crashed would have), and closes the connection
// with a reset instead of replying, the first n times (n <= 0: always).
// The client cannot tell whether the message was taken.
func (s *Server) DropAfterBody(addr string, n int) {
	s.edit(func(sc *script) {
		if sc.dropBody == nil {
			sc.dropBody = make(map[string]*rule)
		}
		sc.dropBody[strings.ToLower(addr)] = newRule(n, nil)
	})
}

// SetReplyDelay makes the server wait d before each reply to MAIL FROM and
// RCPT TO and before accepting each message, like a distant or loaded
// relay: the replies to a pipelined envelope trickle in one by one.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.edit(func(sc *script) { sc.replyWait, sc.delay = d, d })
}

// DropOnRcpt closes the TCP connection with a reset, without replying, when
// RCPT TO names addr, the first n times (n <= 0: always). Clients see an I/O
// error, not an SMTP reply.
func (s *Server) DropOnRcpt(addr string, n int) {
	s.edit(func(sc *script) {
		if sc.drop == nil {
			sc.drop = make(map[string]*rule)
		}
		sc.drop[strings.ToLower(addr)] = newRule(n, nil)
	})
}

// DropAfterMessages closes each connection right after the reply that
// accepts its n-th message, so a client must reconnect to go on. The reply
// itself is delivered. n <= 0 turns this off.
func (s *Server) DropAfterMessages(n int) {
	s.edit(func(sc *script) { sc.dropAfter = max(n, 0) })
}

// SetDelay makes the server wait d before accepting each message at the end
// of DATA, like a slow relay. Close interrupts the wait.
func (s *Server) SetDelay(d time.Duration) {
	s.edit(func(sc *script) { sc.delay = d })
}

func (s *Server) edit(f func(*script)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.script)
	s.scripted.Store(true)
}

// smtpError builds the reply; it panics on a malformed code, which is a bug
// in the calling test, like regexp.MustCompile.
func smtpError(code int, enhanced, text string) *smtp.SMTPError {
	if code < 400 || code > 599 {
		panic(fmt.Sprintf("smtptest: reply code %d is not a failure (4xx or 5xx)", code))
	}
	ec := smtp.EnhancedCodeNotSet
	if enhanced != "" {
		parts := strings.Split(enhanced, ".")
		if len(parts) != 3 {
			panic(fmt.Sprintf("smtptest: enhanced status code %q is not class.subject.detail", enhanced))
		}
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 999 {
				panic(fmt.Sprintf("smtptest: enhanced status code %q is not class.subject.detail", enhanced))
			}
			ec[i] = n
		}
		if ec[0] != code/100 {
			panic(fmt.Sprintf("smtptest: enhanced status code %q does not match reply code %d", enhanced, code))
		}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}
}
