package capture

import (
	"errors"
	"io"
	"net"

	"github.com/emersion/go-smtp"
)

// errStore answers a message that could not be written: the client keeps
// it and tries again.
var errStore = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot store message"}

// session collects one envelope at a time; it accepts every sender and
// every recipient.
type session struct {
	srv      *Server
	helo     string
	remote   string
	received string // the local address, for the Received header
	from     string
	to       []string
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	se := &session{srv: s, helo: c.Hostname(), received: s.Addr()}
	if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		se.remote = a.IP.String()
	}
	return se, nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	env := envelope{helo: se.helo, remote: se.remote, local: se.received, from: se.from, to: se.to}
	path, size, err := se.srv.save(env, r)
	if err != nil {
		var serr *smtp.SMTPError
		if errors.As(err, &serr) {
			return serr // message too large, from go-smtp
		}
		se.srv.log.Error("capture message", "err", err)
		return errStore
	}
	se.srv.log.Info("captured message", "file", path, "from", se.from, "to", se.to, "bytes", size)
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }
