package smtptest

import (
	"bytes"
	"crypto/tls"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var errAuthRequired = &smtp.SMTPError{
	Code:         530,
	EnhancedCode: smtp.EnhancedCode{5, 7, 0},
	Message:      "Authentication required",
}

var errShutdown = &smtp.SMTPError{
	Code:         421,
	EnhancedCode: smtp.EnhancedCode{4, 3, 2},
	Message:      "Server shutting down",
}

// session is one go-smtp session: from EHLO until QUIT, STARTTLS or a
// dropped connection.
type session struct {
	srv   *Server
	conn  *conn
	tls   bool
	user  string
	from  string
	utf8  bool // MAIL FROM asked for SMTPUTF8
	to    []string
	close bool // close the connection once the DATA reply is written
}

var _ smtp.AuthSession = (*session)(nil)

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	tc, isTLS := nc.(*tls.Conn)
	if isTLS {
		nc = tc.NetConn()
	}
	return &session{srv: s, conn: nc.(*conn), tls: isTLS}, nil
}

func (se *session) AuthMechanisms() []string {
	if se.srv.cfg.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.srv.cfg.Username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		if username != se.srv.cfg.Username || password != se.srv.cfg.Password {
			return smtp.ErrAuthFailed
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, opts *smtp.MailOptions) error {
	if se.srv.cfg.Username != "" && se.user == "" {
		se.srv.count(func(st *Stats) { st.Rejected++ })
		return errAuthRequired
	}
	if se.srv.scripted.Load() {
		se.srv.replyWait()
		if err := se.srv.mailReply(); err != nil {
			return err
		}
	}
	se.from = from
	se.utf8 = opts != nil && opts.UTF8
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.srv.scripted.Load() {
		se.srv.replyWait()
		if se.srv.dataDrop(to) {
			se.conn.dropOn354 = true
		}
		drop, err := se.srv.rcptReply(to)
		if drop {
			se.conn.drop()
			// go-smtp writes this to the dead socket; the client never sees it.
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "dropped"}
		}
		if err != nil {
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	var body []byte
	var size int64
	var err error
	if se.srv.cfg.DiscardBodies {
		size, err = io.Copy(io.Discard, r)
	} else {
		var buf bytes.Buffer
		size, err = buf.ReadFrom(r)
		body = buf.Bytes()
	}
	if err != nil {
		se.srv.count(func(st *Stats) { st.Rejected++ })
		return err // ErrDataTooLarge becomes "552 5.3.4"
	}

	var delay time.Duration
	if se.srv.scripted.Load() {
		if se.srv.bodyDrop(se.to) {
			se.srv.record(se.message(body, size))
			se.to = nil
			se.conn.drop()
			return errShutdown // go-smtp writes this to the dead socket
		}
		var fail *smtp.SMTPError
		fail, delay, se.close = se.srv.dataReply(se.to, se.conn.accepted+1)
		if fail != nil {
			return fail
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-se.srv.done:
			t.Stop()
			return errShutdown // never accepted: the server went away
		}
	}
	se.conn.accepted++
	se.srv.record(se.message(body, size))
	se.to = nil // recorded: the next message gets a fresh slice
	return nil
}

func (se *session) message(body []byte, size int64) Message {
	return Message{
		From:     se.from,
		SMTPUTF8: se.utf8,
		To:       se.to,
		Data:     body,
		Size:     int(size),
		Received: time.Now(),
		Conn:     se.conn.serial,
		TLS:      se.tls,
		User:     se.user,
	}
}

// Reset is called after every DATA reply and on RSET, so it is the first
// moment the client has its 250 and the connection may be closed.
func (se *session) Reset() {
	se.from, se.to = "", nil
	if se.close {
		se.close = false
		se.srv.count(func(st *Stats) { st.Dropped++ })
		_ = se.conn.Conn.Close()
	}
}

func (se *session) Logout() error { return nil }

// mailReply returns the scripted reply to MAIL FROM, if any.
func (s *Server) mailReply() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.script.mail; r.fire() {
		s.stats.Rejected++
		return r.err
	}
	return nil
}

// replyWait waits the scripted delay before a reply to MAIL or RCPT.
func (s *Server) replyWait() {
	s.mu.Lock()
	d := s.script.replyWait
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

// dataDrop says whether to drop the connection instead of answering DATA
// for a message to this recipient.
func (s *Server) dataDrop(to string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.script.dropData[strings.ToLower(to)].fire() {
		s.stats.Dropped++
		return true
	}
	return false
}

// bodyDrop says whether to drop the connection instead of answering the
// end of a message to these recipients.
func (s *Server) bodyDrop(to []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range to {
		if s.script.dropBody[strings.ToLower(addr)].fire() {
			s.stats.Dropped++
			return true
		}
	}
	return false
}

// rcptReply says whether to drop the connection or refuse RCPT TO.
func (s *Server) rcptReply(to string) (drop bool, err error) {
	key := strings.ToLower(to)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.script.drop[key].fire() {
		s.stats.Dropped++
		return true, nil
	}
	if r := s.script.rcpt[key]; r.fire() {
		s.stats.Rejected++
		return false, r.err
	}
	return false, nil
}

// dataReply returns the scripted end-of-DATA failure, the delay before
// accepting, and whether to close the connection after message nth.
func (s *Server) dataReply(to []string, nth int) (*smtp.SMTPError, time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range to {
		if err := s.script.data[strings.ToLower(addr)]; err != nil {
			s.stats.Rejected++
			return err, 0, false
		}
	}
	after := s.script.dropAfter
	return nil, s.script.delay, after > 0 && nth >= after
}
