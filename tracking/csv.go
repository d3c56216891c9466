package tracking

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteCSV writes one row per link: the story it is under, the link, and
// its human, machine and unique human clicks. Text that a spreadsheet
// would run as a formula is quoted with a leading apostrophe.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"story", "n", "url", "human", "machine", "unique_humans"}); err != nil {
		return err
	}
	for _, s := range r.Stories {
		for _, l := range s.Links {
			if err := cw.Write([]string{cell(s.Section), strconv.Itoa(l.N), cell(l.URL), strconv.Itoa(l.Human),
				strconv.Itoa(l.Machine), strconv.Itoa(l.UniqueHumans)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses CSV formula injection (OWASP): a headline is the issue
// author's, but the file is opened by someone else.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
