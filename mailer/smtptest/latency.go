package smtptest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// LatencyProxy is a TCP forwarder on 127.0.0.1 that holds every byte for a
// fixed time in each direction before passing it on, as a link to a
// distant relay does: a round trip through it takes twice the delay more
// than one to the server itself. Bytes keep their order, and the delay is
// counted from when each chunk arrived, so it does not add up over the
// chunks of a long message; the bandwidth is loopback's.
type LatencyProxy struct {
	ln       net.Listener
	upstream string
	delay    time.Duration
	wg       sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// NewLatencyProxy starts a proxy to upstream ("host:port") that delays
// each direction by oneWay, and closes it when the test ends.
func NewLatencyProxy(tb testing.TB, upstream string, oneWay time.Duration) *LatencyProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	p := &LatencyProxy{ln: ln, upstream: upstream, delay: oneWay, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Host returns "127.0.0.1".
func (p *LatencyProxy) Host() string { return "127.0.0.1" }

// Port returns the port the proxy listens on.
func (p *LatencyProxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Addr returns "127.0.0.1:port".
func (p *LatencyProxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy and closes every connection through it.
func (p *LatencyProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *LatencyProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *LatencyProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		_ = c.Close()
	}
}

func (p *LatencyProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client, server) {
			_ = client.Close()
			_ = server.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var both sync.WaitGroup
			both.Go(func() { p.forward(server, client) })
			both.Go(func() { p.forward(client, server) })
			both.Wait()
			p.untrack(client, server)
		}()
	}
}

// chunk is what one read returned, and when it may be passed on.
type chunk struct {
	b   []byte
	due time.Time
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// forward copies src to dst, each chunk delay after it was read. A reader
// and a writer run apart, so a chunk read while the previous one waits is
// not held up by it. At the end of src the write side of dst is closed,
// after the last chunk; a reset or error closes both.
func (p *LatencyProxy) forward(dst, src net.Conn) {
	queue := make(chan chunk, 1024)
	go func() {
		defer close(queue)
		for {
			buf := chunkPool.Get().(*[]byte)
			n, err := src.Read(*buf)
			if n > 0 {
				queue <- chunk{b: (*buf)[:n], due: time.Now().Add(p.delay)}
			} else {
				chunkPool.Put(buf)
			}
			if err != nil {
				return
			}
		}
	}()
	failed := false
	for c := range queue {
		if failed {
			continue // drain, so the reader can finish
		}
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		_, err := dst.Write(c.b)
		b := c.b[:cap(c.b)]
		chunkPool.Put(&b)
		if err != nil {
			failed = true
			_ = src.Close() // stop the reader
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok && !failed {
		if err := tc.CloseWrite(); err == nil || errors.Is(err, net.ErrClosed) {
			return
		}
	}
	_ = dst.Close()
}
