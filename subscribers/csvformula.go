package subscribers

import "strings"

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP "CSV injection"): =, +, -, @, tab and CR.
const formulaStarts = "=+-@\t\r"

// CSVCell neutralises a value for a CSV file that may be opened in a
// spreadsheet: a value starting with a formula character gets a leading
// apostrophe, which spreadsheets show as text and do not evaluate. The
// import removes it again (UnescapeCSVCell), so an export imports back
// unchanged.
func CSVCell(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnescapeCSVCell undoes CSVCell: an apostrophe before a formula character
// is the neutraliser Dispatch (and other OWASP-minded exporters) add, not
// part of the value.
func UnescapeCSVCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
