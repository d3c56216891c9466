// Package synthetic generates contact files for benchmarks and the
// `dispatch bench` command: realistic rows, produced on the fly.
package synthetic

import (
	"io"
	"strconv"
)

// CSV returns a reader of n generated contact rows (with a header:
// email, first name, last name, company, city), produced on the fly so that
// benchmarks of very large imports do not hold the file in memory.
func CSV(n int) io.Reader {
	return &syntheticCSV{n: n, buf: []byte("email,first name,last name,company,city\n")}
}

type syntheticCSV struct {
	n, i int
	buf  []byte
	off  int
}

var (
	synFirst = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"}
	synLast  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners-Lee"}
	synCity  = []string{"London", "Zürich", "São Paulo", "Kraków", "Oslo", "Austin", "Nairobi", "Osaka"}
)

func (s *syntheticCSV) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.i >= s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		for k := 0; k < 256 && s.i < s.n; k++ {
			i := s.i
			s.buf = append(s.buf, "user"...)
			s.buf = strconv.AppendInt(s.buf, int64(i), 10)
			s.buf = append(s.buf, "@example"...)
			s.buf = strconv.AppendInt(s.buf, int64(i%97), 10)
			s.buf = append(s.buf, ".com,"...)
			s.buf = append(s.buf, synFirst[i%len(synFirst)]...)
			s.buf = append(s.buf, ',')
			s.buf = append(s.buf, synLast[(i/7)%len(synLast)]...)
			s.buf = append(s.buf, ",Company "...)
			s.buf = strconv.AppendInt(s.buf, int64(i%1000), 10)
			s.buf = append(s.buf, ',')
			s.buf = append(s.buf, synCity[i%len(synCity)]...)
			s.buf = append(s.buf, '\n')
			s.i++
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}
