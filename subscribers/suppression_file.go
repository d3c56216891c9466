package subscribers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Suppression is one entry of a suppression export: an address that must
// not be mailed (List empty: no list at all; else only that list), with
// why and since when. An erased person's entry has no address, only its
// hash: it can keep the address suppressed, and erase the person again
// where an older database still holds them, but it names no list and its
// reason is "removed".
type Suppression struct {
	Email     string    `json:"email,omitempty"`
	EmailHash string    `json:"email_sha256"`
	List      string    `json:"list,omitempty"`
	Status    Status    `json:"status"`
	Reason    string    `json:"reason"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Erased    bool      `json:"erased"`
}

// SuppressionHash is the hex SHA-256 of a normalised address, as the
// suppressions of erased people keep it.
func SuppressionHash(norm string) string {
	h := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(h[:])
}

var suppressionHeader = []string{"email", "email_sha256", "list", "status", "reason", "actor", "at", "erased"}

// WriteSuppressionsCSV writes entries as CSV with a header row. Cells that
// a spreadsheet would read as formulas are neutralised (CSVCell);
// ReadSuppressions undoes it.
func WriteSuppressionsCSV(w io.Writer, entries []Suppression) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(suppressionHeader); err != nil {
		return err
	}
	for _, e := range entries {
		if err := cw.Write([]string{CSVCell(e.Email), e.EmailHash, CSVCell(e.List), string(e.Status), CSVCell(e.Reason),
			CSVCell(e.Actor), e.At.UTC().Format(time.RFC3339), strconv.FormatBool(e.Erased)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteSuppressionsJSON writes entries as one JSON array.
func WriteSuppressionsJSON(w io.Writer, entries []Suppression) error {
	if entries == nil {
		entries = []Suppression{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReadSuppressions reads a suppression export, CSV or JSON (told apart by
// the first character), and checks every entry. Errors name the file and
// the line (CSV) or entry (JSON).
func ReadSuppressions(name string, r io.Reader) ([]Suppression, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) > 0 && head[0] == '[' {
		return readSuppressionsJSON(name, br)
	}
	return readSuppressionsCSV(name, br)
}

func readSuppressionsJSON(name string, r io.Reader) ([]Suppression, error) {
	var entries []Suppression
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("%s: not a suppression export: %w", name, err)
	}
	for i := range entries {
		if err := checkSuppression(&entries[i]); err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", name, i+1, err)
		}
	}
	return entries, nil
}

func readSuppressionsCSV(name string, r io.Reader) ([]Suppression, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(suppressionHeader)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: not a suppression export: %w", name, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\xef\xbb\xbf")
	if strings.Join(header, ",") != strings.Join(suppressionHeader, ",") {
		return nil, fmt.Errorf("%s: line 1: not a suppression export: the header is %q, want %q",
			name, strings.Join(header, ","), strings.Join(suppressionHeader, ","))
	}
	var entries []Suppression
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		e := Suppression{Email: UnescapeCSVCell(rec[0]), EmailHash: rec[1], List: UnescapeCSVCell(rec[2]),
			Status: Status(rec[3]), Reason: UnescapeCSVCell(rec[4]), Actor: UnescapeCSVCell(rec[5])}
		if e.At, err = time.Parse(time.RFC3339, rec[6]); err != nil {
			return nil, fmt.Errorf("%s: line %d: field at: %q is not an RFC 3339 time", name, line, rec[6])
		}
		if e.Erased, err = strconv.ParseBool(rec[7]); err != nil {
			return nil, fmt.Errorf("%s: line %d: field erased: %q is not true or false", name, line, rec[7])
		}
		if err := checkSuppression(&e); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		entries = append(entries, e)
	}
}

// checkSuppression validates one entry and fills its hash from its address.
func checkSuppression(e *Suppression) error {
	if _, err := ParseStatus(string(e.Status)); err != nil || !e.Status.Suppressed() {
		return fmt.Errorf("field status: %q is not a suppressed status (unsubscribed, bounced, complained, blocklisted)", e.Status)
	}
	if e.Erased {
		if e.Email != "" || e.List != "" {
			return errors.New("an erased entry carries neither email nor list")
		}
		if !hashRE.MatchString(e.EmailHash) {
			return fmt.Errorf("field email_sha256: %q is not a lower-case hex SHA-256", e.EmailHash)
		}
		return nil
	}
	e.Email = CleanEmail(e.Email)
	if err := ValidateEmail(e.Email); err != nil {
		return fmt.Errorf("field email: %q: %v", e.Email, err)
	}
	h := SuppressionHash(NormalizeEmail(e.Email))
	if e.EmailHash != "" && e.EmailHash != h {
		return fmt.Errorf("field email_sha256 does not match %s", e.Email)
	}
	e.EmailHash = h
	if e.List != "" && e.Status != StatusUnsubscribed {
		return fmt.Errorf("field status: a list entry is unsubscribed, not %s", e.Status)
	}
	return nil
}
