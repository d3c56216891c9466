package smtptest

import (
	"fmt"
	"net"
	"time"
)

// Down makes the server unreachable, as a relay that crashed or is being
// restarted is: it stops listening, so new connections are refused, and it
// resets every open connection without a reply. A message whose body was
// read but not yet answered is kept, as a real server may have queued it:
// the client cannot tell, which is what makes it a possible duplicate.
// Up brings the server back.
func (s *Server) Down() { s.life.Down() }

// Up listens again on the same port after Down.
func (s *Server) Up() error {
	if err := s.life.Up(); err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	return nil
}

// SetUnavailable makes the server greet every new connection with
// "421 4.3.2 Service not available" and close it (RFC 5321 section 3.8), as
// an overloaded relay or one shutting down does; false ends it. Open
// connections are left alone. Servers with implicit TLS close the
// connection without the greeting.
func (s *Server) SetUnavailable(on bool) {
	s.unavailable.Store(on)
}

// turnAway answers a connection accepted while the server is unavailable.
func (s *Server) turnAway(c net.Conn) {
	s.count(func(st *Stats) { st.TurnedAway++ })
	if s.cfg.TLS != TLSImplicit {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte("421 4.3.2 smtptest.localhost Service not available, closing transmission channel\r\n"))
	}
	_ = c.Close()
}
