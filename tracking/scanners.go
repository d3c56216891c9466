package tracking

import (
	_ "embed"
	"fmt"
	"net/netip"
	"strings"
)

//go:embed scanners.txt
var scannersTxt string

// Scanners is the table of known scanners: address ranges and user agent
// fragments.
type Scanners struct {
	prefixes []netip.Prefix
	agents   []string // lower case
}

// defaultScanners is the embedded table, parsed once.
var defaultScanners = mustParseScanners(scannersTxt)

// DefaultScanners returns the embedded table (scanners.txt).
func DefaultScanners() *Scanners { return defaultScanners }

func mustParseScanners(src string) *Scanners {
	s, err := ParseScanners(src)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseScanners reads a table in the format of scanners.txt.
func ParseScanners(src string) (*Scanners, error) {
	s := &Scanners{}
	for i, line := range strings.Split(src, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		kind, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		val = strings.TrimSpace(val)
		switch kind {
		case "":
		case "ip":
			p, err := netip.ParsePrefix(val)
			if err != nil {
				return nil, fmt.Errorf("scanners line %d: %w", i+1, err)
			}
			s.prefixes = append(s.prefixes, p.Masked())
		case "ua":
			if val == "" {
				return nil, fmt.Errorf("scanners line %d: empty user agent", i+1)
			}
			s.agents = append(s.agents, strings.ToLower(val))
		default:
			return nil, fmt.Errorf("scanners line %d: %q is neither ip nor ua", i+1, kind)
		}
	}
	return s, nil
}

// Address reports whether ip belongs to a known scanner.
func (s *Scanners) Address(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Agent reports whether a user agent is empty or a known scanner's.
func (s *Scanners) Agent(ua string) bool {
	ua = strings.ToLower(strings.TrimSpace(ua))
	if ua == "" {
		return true
	}
	for _, a := range s.agents {
		if strings.Contains(ua, a) {
			return true
		}
	}
	return false
}
