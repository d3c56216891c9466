//go:build !unix

package loadtest

import "time"

// ProcessCPU is not measured on this system: it returns 0, and results
// then carry no CPU figure.
func ProcessCPU() time.Duration { return 0 }
