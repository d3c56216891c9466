// Package dnstest serves DNS records from a test on 127.0.0.1, for checks
// that read SPF, DKIM, DMARC and MX records through a real resolver.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// Zone is the DNS data a test serves: name → records, as zone-file lines
// without the owner name, e.g. "TXT v=spf1 -all" or "MX 10 mx.example.test.".
// A name absent from the zone is NXDOMAIN.
type Zone map[string][]string

// Server is a running DNS server.
type Server struct {
	Addr    string // "host:port"
	queries atomic.Int64
}

// Queries returns how many questions the server has answered.
func (s *Server) Queries() int { return int(s.queries.Load()) }

// Start serves z on 127.0.0.1 until the test ends and returns its address.
func Start(t testing.TB, z Zone) string {
	t.Helper()
	return New(t, z).Addr
}

// New serves z on 127.0.0.1 over UDP and TCP (long TXT records need TCP
// after truncation) until the test ends.
func New(t testing.TB, z Zone) *Server {
	t.Helper()
	srv := &Server{}
	pc, ln := listen(t)
	// Parse every record here, in the test's goroutine, so a typo fails
	// the test at once.
	records := map[string][]dns.RR{}
	for name, lines := range z {
		owner := dns.Fqdn(strings.ToLower(name))
		records[owner] = []dns.RR{}
		for _, line := range lines {
			records[owner] = append(records[owner], parseRR(t, owner, line))
		}
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		srv.queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		question := q.Question[0]
		name := strings.ToLower(question.Name)
		rrs, exists := records[name]
		for _, rr := range rrs {
			if rr.Header().Rrtype == question.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
		_, isUDP := w.RemoteAddr().(*net.UDPAddr)
		if isUDP {
			m.Truncate(512)
		}
		_ = w.WriteMsg(m)
	})
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	var wg sync.WaitGroup
	for _, s := range []*dns.Server{udp, tcp} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.ActivateAndServe() }()
	}
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
		wg.Wait()
	})
	srv.Addr = pc.LocalAddr().String()
	return srv
}

func parseRR(t testing.TB, owner, line string) dns.RR {
	typ, rest, _ := strings.Cut(line, " ")
	if strings.EqualFold(typ, "TXT") {
		// Split long text into 255-byte strings, as a zone file would.
		var parts []string
		for len(rest) > 255 {
			parts = append(parts, rest[:255])
			rest = rest[255:]
		}
		parts = append(parts, rest)
		return &dns.TXT{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: parts}
	}
	rr, err := dns.NewRR(owner + " 60 IN " + line)
	if err != nil {
		t.Fatalf("zone line %q: %v", line, err)
	}
	return rr
}

// listen binds one port for UDP and TCP; a free UDP port may be taken for
// TCP, so it tries a few.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
	}
	t.Fatal("dnstest: no port free for both UDP and TCP")
	return nil, nil
}
