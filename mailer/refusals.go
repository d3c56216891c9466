package mailer

import (
	"regexp"
	"strings"
	"sync"

	"github.com/dispatchhq/dispatch/bounce"
)

// firstRefusals watches the refusals of a run before any message got
// through. When they are all the same reply about the sender, the relay or
// the receiving side refuses us, not the recipients: going on would only
// fail the whole list, so the run pauses at once with that reply.
type firstRefusals struct {
	mu    sync.Mutex
	reply string // the normalised reply of every refusal so far
	n     int
	mixed bool // the refusals differ: leave it to sending.pause_after
}

// identityReasons are refusals of who we are (the envelope sender, the
// domain's authentication): the same for every recipient, so one is enough.
var identityReasons = map[bounce.Reason]bool{bounce.ReasonRejected: true, bounce.ReasonAuthFailure: true}

// sameReplyPause is how many identical first refusals of another kind
// (policy, content, reputation) pause the run, at most pause_after.
const sameReplyPause = 3

// addressRE matches the parts of a reply that name a mailbox.
var addressRE = regexp.MustCompile(`<[^>]*>|\S+@\S+`)

// refused records one sender-side refusal while nothing has been sent in
// the run, and reports whether the run should pause now.
func (f *firstRefusals) refused(o outcome, sentThisRun int64, pauseAfter int) bool {
	if sentThisRun > 0 {
		return false
	}
	norm := strings.ToLower(strings.Join(strings.Fields(addressRE.ReplaceAllString(o.text, "<>")), " "))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mixed {
		return false
	}
	if f.n > 0 && norm != f.reply {
		f.mixed = true
		return false
	}
	f.reply = norm
	f.n++
	if identityReasons[o.reason] {
		return true
	}
	return f.n >= min(sameReplyPause, pauseAfter)
}
