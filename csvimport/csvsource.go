package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of the file is examined to guess encoding and
// delimiter; one Excel screen of rows is plenty.
const sniffSize = 64 << 10

// csvSource reads records from a CSV file of unknown origin.
type csvSource struct {
	r         *recordReader
	encoding  string
	delimiter rune
	lineShift int  // lines consumed before the csv.Reader saw the data (sep= hint)
	hinted    rune // the delimiter an Excel sep= line names, if any
}

// newCSVSource detects the encoding (unless encName is given) and the
// delimiter (unless delim is non-zero) and returns a record reader.
func newCSVSource(in io.Reader, encName string, delim rune, limits subscribers.ImportLimits) (*csvSource, error) {
	raw := bufio.NewReaderSize(in, sniffSize)
	sample, err := peekSample(raw)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(sample) == 0 {
		return nil, errors.New("file is empty")
	}
	if err := notSpreadsheet(sample); err != nil {
		return nil, err
	}
	src := &csvSource{}
	dec, err := src.decoder(raw, sample, encName)
	if err != nil {
		return nil, err
	}
	body, tsample, err := src.text(dec)
	if err != nil {
		return nil, err
	}
	if delim == 0 {
		delim = src.hinted
	}
	if delim == 0 {
		delim = sniffDelimiter(tsample)
	}
	src.delimiter = delim
	if !validDelimiter(delim) {
		return nil, fmt.Errorf("delimiter %q cannot separate fields", delim)
	}
	// Hand-edited files put quotes where RFC 4180 says they cannot go
	// (Bob "BJ" Jones); the record reader keeps them as text rather than
	// failing the row.
	src.r = newRecordReader(body, delim, limits)
	return src, nil
}

// peekSample returns the start of r without consuming it: sniffSize
// bytes, or the whole of a shorter input.
func peekSample(r *bufio.Reader) ([]byte, error) {
	sample, err := r.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	return sample, nil
}

// decoder returns raw decoded to UTF-8: from the encoding named, or else
// (encName "" or "auto") from the one detected in sample.
func (src *csvSource) decoder(raw io.Reader, sample []byte, encName string) (io.Reader, error) {
	if encName == "" || strings.EqualFold(encName, "auto") {
		var enc encoding.Encoding
		enc, src.encoding = detectEncoding(sample)
		if enc == nil {
			return transform.NewReader(raw, &utf8Fallback{}), nil
		}
		return transform.NewReader(raw, unicode.BOMOverride(enc.NewDecoder())), nil
	}
	enc, err := htmlindex.Get(encName)
	if err != nil {
		return nil, fmt.Errorf("unknown encoding %q (try utf-8, windows-1252, iso-8859-15, utf-16le)", encName)
	}
	src.encoding, _ = htmlindex.Name(enc)
	// BOMOverride honours a BOM if present, as Excel writes one, but after
	// a UTF-8 BOM it passes bytes on unchecked: read them as the detected
	// UTF-8 path does, so that only valid UTF-8 goes on.
	return transform.NewReader(raw, transform.Chain(unicode.BOMOverride(enc.NewDecoder()), &utf8Fallback{})), nil
}

// text returns the decoded text the records are read from, and its start
// as a sample: without a BOM, with classic-Mac line ends turned into line
// feeds, and past an Excel "sep=" line (whose delimiter it takes unless
// one was given).
func (src *csvSource) text(dec io.Reader) (io.Reader, []byte, error) {
	text := bufio.NewReaderSize(dec, sniffSize)
	tsample, err := peekSample(text)
	if err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", src.encoding, err)
	}
	// Drop a BOM the decoder kept (our UTF-8 path does) from the stream,
	// not just from the sample: the sep= hint below skips lines measured
	// in the sample.
	if bytes.HasPrefix(tsample, []byte("\ufeff")) {
		tsample = tsample[len("\ufeff"):]
		if _, err := text.Discard(len("\ufeff")); err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
	}
	var body io.Reader = text
	// Excel for Mac 2011 ends lines with a lone CR.
	if bytes.IndexByte(tsample, '\r') >= 0 && bytes.IndexByte(tsample, '\n') < 0 {
		body = transform.NewReader(body, crToLF{})
		tsample = bytes.ReplaceAll(tsample, []byte("\r"), []byte("\n"))
	}
	// Excel honours a first line "sep=;" naming the delimiter.
	if d, n, ok := sepHint(tsample); ok {
		src.hinted = d
		if _, err := io.CopyN(io.Discard, body, int64(n)); err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		src.lineShift = 1
		tsample = tsample[n:]
	}
	return body, tsample, nil
}

// notSpreadsheet refuses workbooks by their magic bytes: read as text they
// give a header of binary garbage, and an error about that garbage.
func notSpreadsheet(sample []byte) error {
	const advice = ": save it as CSV (in Excel: File > Save As > CSV UTF-8; in LibreOffice or Google Sheets: " +
		"save or download as CSV) and import that file"
	switch {
	case bytes.HasPrefix(sample, []byte("PK\x03\x04")) && bytes.Contains(sample, []byte("opendocument.spreadsheet")):
		return errors.New("this is an OpenDocument spreadsheet (.ods), not CSV" + advice)
	case bytes.HasPrefix(sample, []byte("PK\x03\x04")):
		// .xlsx is a zip of XML parts; any other zip is no CSV either.
		return errors.New("this is an Excel workbook (.xlsx, a zip file), not CSV" + advice)
	case bytes.HasPrefix(sample, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		// The OLE container of Excel 97-2003 .xls files.
		return errors.New("this is an Excel workbook (.xls, Excel 97-2003), not CSV" + advice)
	}
	return nil
}

// detectEncoding guesses from the first bytes. A nil encoding means UTF-8
// with a per-byte Windows-1252 fallback for stray legacy bytes.
func detectEncoding(sample []byte) (encoding.Encoding, string) {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return nil, "utf-8"
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "utf-16le"
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "utf-16be"
	}
	// UTF-16 without a BOM: ASCII text with every other byte zero.
	if len(sample) >= 4 {
		var evenZero, oddZero int
		n := min(len(sample), 1024) &^ 1
		for i := 0; i < n; i += 2 {
			if sample[i] == 0 {
				evenZero++
			}
			if sample[i+1] == 0 {
				oddZero++
			}
		}
		if oddZero > n/4 && evenZero == 0 {
			return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
		}
		if evenZero > n/4 && oddZero == 0 {
			return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
		}
	}
	// The sample may end mid-rune; only judge complete text.
	s := sample
	if len(s) == sniffSize {
		s = trimPartialRune(s)
	}
	if utf8.Valid(s) {
		return nil, "utf-8"
	}
	return charmap.Windows1252, "windows-1252"
}

func trimPartialRune(s []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(s); i++ {
		if utf8.RuneStart(s[len(s)-i]) {
			if !utf8.FullRune(s[len(s)-i:]) {
				return s[:len(s)-i]
			}
			return s
		}
	}
	return s
}

func sepHint(sample []byte) (rune, int, bool) {
	line := sample
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i+1]
	} else {
		return 0, 0, false
	}
	t := strings.TrimRight(string(line), "\r\n")
	if len(t) >= 5 && strings.EqualFold(t[:4], "sep=") {
		r, size := utf8.DecodeRuneInString(t[4:])
		if 4+size == len(t) {
			return r, len(line), true
		}
	}
	return 0, 0, false
}

// sniffDelimiter picks the candidate that splits the first records into the
// same number of fields, preferring more fields.
func sniffDelimiter(sample []byte) rune {
	// Drop the last, possibly truncated, line.
	if len(sample) == sniffSize {
		if i := bytes.LastIndexByte(sample, '\n'); i > 0 {
			sample = sample[:i+1]
		}
	}
	best, bestScore := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		r := csv.NewReader(bytes.NewReader(sample))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = d, -1, true
		var counts []int
		for len(counts) < 20 {
			rec, err := r.Read()
			if err != nil {
				break
			}
			counts = append(counts, len(rec))
		}
		if len(counts) == 0 || counts[0] < 2 {
			continue
		}
		consistent := 0
		for _, c := range counts {
			if c == counts[0] {
				consistent++
			}
		}
		// Consistency matters most; field count breaks ties.
		score := consistent*1000/len(counts)*100 + counts[0]
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// utf8Fallback passes valid UTF-8 through and reads each invalid byte as
// Windows-1252, so a mostly-UTF-8 file with a few legacy bytes deep inside
// (beyond the sniffed sample) still imports legibly.
type utf8Fallback struct{ transform.NopResetter }

func (utf8Fallback) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size <= 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r = charmap.Windows1252.DecodeByte(c)
			size = 1
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

type crToLF struct{ transform.NopResetter }

func (crToLF) Transform(dst, src []byte, atEOF bool) (int, int, error) {
	n := copy(dst, src)
	for i := 0; i < n; i++ {
		if dst[i] == '\r' {
			dst[i] = '\n'
		}
	}
	if n < len(src) {
		return n, n, transform.ErrShortDst
	}
	return n, n, nil
}

// validDelimiter is encoding/csv's rule: not a quote, a line break or a
// replacement character.
func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// Read returns the next record and the line it starts on. A record over a
// limit comes with a *LimitError (and its line) and reading can go on.
func (c *csvSource) Read() ([]string, int, error) {
	rec, line, err := c.r.Read()
	var le *LimitError
	if errors.As(err, &le) {
		le.Line += c.lineShift
	}
	return rec, line + c.lineShift, err
}
