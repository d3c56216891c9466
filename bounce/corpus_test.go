package bounce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/bounce"
)

// The conformance corpus is external (Sisimai's set-of-emails with the
// results Sisimai expects); it is not part of the repository.
const defaultCorpus = "/work/shared/corpus/bounces"

// minAgreement is the share of the corpus each measure must agree on;
// minFiles the share of files that agree in every respect, measured the way
// the corpus's score.py measures (type, recipient count, each status and
// hard/soft verdict).
const (
	minAgreement = 0.95
	minFiles     = 0.97
)

func corpusDir() string {
	if d := os.Getenv("DISPATCH_BOUNCE_CORPUS"); d != "" {
		return d
	}
	return defaultCorpus
}

type expectedRecipient struct {
	Status       string `json:"status"`
	ReplyCode    string `json:"reply_code"`
	Reason       string `json:"reason"`
	Hard         bool   `json:"hard"`
	FeedbackType string `json:"feedback_type"`
}

type corpusCase struct {
	name string
	raw  []byte
	want []expectedRecipient
}

// loadCorpus reads the corpus, or returns fs.ErrNotExist when it is absent.
func loadCorpus(tb testing.TB) ([]corpusCase, error) {
	dir := corpusDir()
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return nil, err
	}
	var exp map[string][]expectedRecipient
	if err := json.Unmarshal(data, &exp); err != nil {
		tb.Fatalf("decode expected.json: %v", err)
	}
	names := make([]string, 0, len(exp))
	for n := range exp {
		names = append(names, n)
	}
	sort.Strings(names)
	cases := make([]corpusCase, 0, len(names))
	for _, n := range names {
		raw, err := os.ReadFile(filepath.Join(dir, "eml", n))
		if err != nil {
			tb.Fatalf("read corpus message: %v", err)
		}
		cases = append(cases, corpusCase{name: n, raw: raw, want: exp[n]})
	}
	return cases, nil
}

// sisimaiPseudo maps the detail of Sisimai's private status codes
// ("5.0.911") to the reason it stands for. Sisimai invents those when a
// notification carries no status; Parse derives a standard RFC 3463 code for
// the same reason instead (bounce.StatusForReason), so the two agree when
// they name the same reason and class.
var sisimaiPseudo = map[string]bounce.Reason{
	"900": "undefined", "901": "onhold", "910": "filtered", "911": "userunknown", "912": "hostunknown",
	"918": "rejected", "922": "mailboxfull", "930": "systemerror", "932": "notaccept", "934": "mesgtoobig",
	"939": "mailererror", "944": "networkerror", "947": "expired", "971": "blocked", "973": "requireptr",
}

func wantStatus(s string) string {
	if len(s) == 7 && s[1:5] == ".0.9" {
		if r, ok := sisimaiPseudo[s[4:]]; ok {
			return bounce.StatusForReason(r, s[0])
		}
		return s[:1] + ".0.0"
	}
	return s
}

// category is the kind of message an expected list describes.
func category(want []expectedRecipient) string {
	if len(want) == 0 {
		return "none"
	}
	switch want[0].Reason {
	case "feedback":
		return "complaint"
	case "vacation":
		return "autoreply"
	case "delivered":
		return "none"
	}
	return "bounce"
}

func gotCategory(r *bounce.Result) string { return string(r.Type) }

// tally counts agreements for one measure.
type tally struct {
	name       string
	agree, all int
	misses     []string
}

func (t *tally) add(ok bool, file, detail string) {
	t.all++
	if ok {
		t.agree++
		return
	}
	t.misses = append(t.misses, file+": "+detail)
}

func (t *tally) share() float64 {
	if t.all == 0 {
		return 1
	}
	return float64(t.agree) / float64(t.all)
}

// pair matches expected recipients with parsed ones: by position when the
// counts agree, else each expected entry takes the first unused recipient
// with the same status.
func pair(want []expectedRecipient, got []bounce.Recipient) []*bounce.Recipient {
	out := make([]*bounce.Recipient, len(want))
	if len(want) == len(got) {
		for i := range want {
			out[i] = &got[i]
		}
		return out
	}
	used := make([]bool, len(got))
	for i, w := range want {
		for j := range got {
			if !used[j] && got[j].Status == wantStatus(w.Status) {
				used[j], out[i] = true, &got[j]
				break
			}
		}
	}
	for i := range want {
		if out[i] != nil {
			continue
		}
		for j := range got {
			if !used[j] {
				used[j], out[i] = true, &got[j]
				break
			}
		}
	}
	return out
}

func TestCorpusConformance(t *testing.T) {
	cases, err := loadCorpus(t)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("bounce corpus not found at %s (set DISPATCH_BOUNCE_CORPUS): external data, not in the repository", corpusDir())
	}
	if err != nil {
		t.Fatalf("load corpus: %v", err)
	}
	detect := &tally{name: "bounce detected"}
	count := &tally{name: "recipient count"}
	status := &tally{name: "status code"}
	hard := &tally{name: "hard/soft"}
	files := &tally{name: "whole file"}
	for _, c := range cases {
		res, err := bounce.ParseBytes(c.raw)
		if err != nil {
			t.Errorf("%s: Parse: %v", c.name, err)
			continue
		}
		files.add(scoreAgrees(c.want, res), c.name, fmt.Sprintf("%s %s", res.Type, describeVerdicts(res.Recipients)))
		wc, gc := category(c.want), gotCategory(res)
		detect.add(wc == gc, c.name, fmt.Sprintf("type %s, want %s", res.Type, wc))
		count.add(len(res.Recipients) == len(c.want), c.name, fmt.Sprintf("%d recipients %s, want %d", len(res.Recipients), describe(res.Recipients), len(c.want)))
		for i, g := range pair(c.want, res.Recipients) {
			w := c.want[i]
			if w.Reason == "feedback" || w.Reason == "vacation" {
				continue // no status or verdict to compare
			}
			if g == nil {
				status.add(false, c.name, fmt.Sprintf("missing recipient, want %s", w.Status))
				hard.add(false, c.name, fmt.Sprintf("missing recipient, want hard=%t (%s)", w.Hard, w.Reason))
				continue
			}
			ws := wantStatus(w.Status)
			status.add(g.Status == ws, c.name, fmt.Sprintf("status %s (%s %q), want %s (%s)", g.Status, g.Reason, clip(g.Diagnostic), ws, w.Reason))
			hard.add(g.Hard == w.Hard, c.name, fmt.Sprintf("hard=%t (%s %s %q), want %t (%s %s)", g.Hard, g.Reason, g.Status, clip(g.Diagnostic), w.Hard, w.Reason, w.Status))
		}
	}
	t.Logf("%-16s %5.1f%% (%d/%d)", files.name, 100*files.share(), files.agree, files.all)
	if files.share() < minFiles {
		t.Errorf("whole-file agreement %.1f%% < %.0f%%: %v", 100*files.share(), 100*minFiles, files.misses)
	}
	for _, m := range []*tally{detect, count, status, hard} {
		t.Logf("%-16s %5.1f%% (%d/%d)", m.name, 100*m.share(), m.agree, m.all)
	}
	for _, m := range []*tally{detect, count, status, hard} {
		if testing.Verbose() {
			for _, miss := range m.misses {
				t.Logf("disagree %s: %s", m.name, miss)
			}
		}
		if m.share() < minAgreement {
			t.Errorf("%s agreement %.1f%% < %.0f%%", m.name, 100*m.share(), 100*minAgreement)
		}
	}
}

func describe(rs []bounce.Recipient) string {
	as := make([]string, len(rs))
	for i, r := range rs {
		as[i] = r.Address
	}
	return "[" + strings.Join(as, " ") + "]"
}

func clip(s string) string {
	if len(s) > 90 {
		return s[:90] + "..."
	}
	return s
}

// scoreAgrees is score.py's test of one file: the type, then for a bounce
// the recipient count and, in order, each hard/soft verdict and status (for
// Sisimai's pseudo-codes, the class only).
func scoreAgrees(want []expectedRecipient, res *bounce.Result) bool {
	if category(want) != gotCategory(res) {
		return false
	}
	if category(want) != "bounce" {
		return true
	}
	if len(want) != len(res.Recipients) {
		return false
	}
	for i, w := range want {
		g := res.Recipients[i]
		if g.Hard != w.Hard {
			return false
		}
		switch {
		case w.Status == "":
		case strings.HasPrefix(w.Status, "5.0.9") || strings.HasPrefix(w.Status, "4.0.9"):
			if g.Status == "" || g.Status[0] != w.Status[0] {
				return false
			}
		case g.Status != w.Status:
			return false
		}
	}
	return true
}

func describeVerdicts(rs []bounce.Recipient) string {
	as := make([]string, len(rs))
	for i, r := range rs {
		as[i] = fmt.Sprintf("%s/%t", r.Status, r.Hard)
	}
	return "[" + strings.Join(as, " ") + "]"
}
