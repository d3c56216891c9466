package mailer

import (
	"fmt"
	"strings"
)

// WaitReason is what a run waits for, for people watching it: the text of
// Progress.Waiting says the details, the reason which kind of wait it is.
type WaitReason string

const (
	WaitNone  WaitReason = ""
	WaitRate  WaitReason = "rate limit"    // paced at the configured rate
	WaitQuota WaitReason = "quota"         // an hourly or daily limit is reached
	WaitRetry WaitReason = "retry backoff" // only deferred deliveries are left, not yet due
	WaitRelay WaitReason = "relay down"    // no relay accepts connections
)

// The beginnings of the Waiting texts this package writes, one per reason.
const (
	waitingRelay = "waiting for the SMTP relay"
	waitingQuota = " limit reached; sending resumes at "
	waitingRetry = " deferred " // "waiting 3s for 2 deferred deliveries (...)"
	waitingRate  = "paced at the rate limit"
)

// WaitReasonOf tells which kind of wait a Progress.Waiting text (or a
// campaign lease's note, which carries it) describes.
func WaitReasonOf(waiting string) WaitReason {
	switch {
	case waiting == "":
		return WaitNone
	case strings.HasPrefix(waiting, waitingRelay):
		return WaitRelay
	case strings.Contains(waiting, waitingQuota):
		return WaitQuota
	case strings.HasPrefix(waiting, waitingRate):
		return WaitRate
	case strings.HasPrefix(waiting, "waiting ") && strings.Contains(waiting, waitingRetry):
		return WaitRetry
	}
	return WaitNone
}

// rateWaiting says that the run is held to the shared rate, when it
// sends at (nearly) that rate; "" otherwise.
func (s *Sender) rateWaiting(rate float64) string {
	if s.cfg.Rate <= 0 || rate < 0.9*s.cfg.Rate {
		return ""
	}
	return fmt.Sprintf("%s (%g messages/s)", waitingRate, s.cfg.Rate)
}
