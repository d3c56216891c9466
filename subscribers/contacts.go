package subscribers

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// SubscriberQuery selects one page of subscribers, as the console's
// subscriber list shows them.
type SubscriberQuery struct {
	// Search is a prefix of the address or of the name, case-insensitive
	// (names fold ASCII letters only). With an @ it matches addresses only.
	// Results are then ordered by address; otherwise newest first.
	Search string
	ListID int64  // only members of this list (any subscription status)
	Status Status // only this status
	After  string // the Next cursor of the previous page
	Limit  int    // default 50, at most 500
}

// SubscriberPage is one page of a SubscriberQuery.
type SubscriberPage struct {
	Subscribers []*Subscriber
	// Next fetches the following page; empty on the last page.
	Next string
	// Total counts every match when that is cheap (from the maintained
	// counts), and is -1 otherwise (searches, list and status together).
	Total int
}

// StatusCounts is the number of subscribers in each status.
type StatusCounts map[Status]int

// Total is every subscriber, whatever their status.
func (c StatusCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// SuppressedQuery selects a page of suppressed addresses.
type SuppressedQuery struct {
	Search string // address prefix, case-insensitive
	Status Status // one suppressed status, or all of them
	After  string
	Limit  int
}

// SuppressedAddress is an address Dispatch will not mail, and why.
type SuppressedAddress struct {
	SubscriberID int64 // 0 for a removed address
	Email        string
	Name         string
	Status       Status
	Reason       string // from the event that suppressed it
	Actor        string
	Since        time.Time
	// Removed is an address whose personal data was erased: only a hash of
	// it is kept, so it is found by its full address alone.
	Removed bool
}

// SuppressedPage is one page of a SuppressedQuery.
type SuppressedPage struct {
	Addresses []SuppressedAddress
	Next      string
}

// BlocklistResult says what a blocklisting of many addresses did.
type BlocklistResult struct {
	Blocklisted int          // newly blocklisted (including unknown addresses, now kept blocklisted)
	Already     int          // blocklisted before
	Removed     int          // erased earlier: they stay suppressed as they are
	Invalid     []InvalidRow // not an address, with the line it was on
}

// ReadAddressList reads addresses pasted or uploaded by an admin: one or
// more per line, separated by commas, semicolons, tabs or spaces, possibly
// a CSV with other columns. A first line with no @ is taken for a header.
// Words without an @ are ignored; a word with an @ that is not a valid
// address is reported with its line. Duplicates are dropped.
func ReadAddressList(r io.Reader, max int) ([]string, []InvalidRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []string
	var invalid []InvalidRow
	seen := map[string]bool{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimPrefix(sc.Text(), "\ufeff")
		words := strings.FieldsFunc(text, func(r rune) bool {
			return r == ',' || r == ';' || r == '\t' || r == ' ' || r == '"' || r == '<' || r == '>'
		})
		for _, w := range words {
			if !strings.Contains(w, "@") {
				continue
			}
			email := CleanEmail(UnescapeCSVCell(w))
			if err := ValidateEmail(email); err != nil {
				invalid = append(invalid, InvalidRow{Line: line, Value: w, Error: err.Error()})
				continue
			}
			norm := strings.ToLower(email)
			if seen[norm] {
				continue
			}
			seen[norm] = true
			if max > 0 && len(out) >= max {
				return nil, nil, fmt.Errorf("line %d: more than %d addresses; split the list", line, max)
			}
			out = append(out, email)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, invalid, nil
}
