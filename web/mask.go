package web

import "strings"

// maskEmail hides most of an address's local part, so that a forwarded or
// leaked link does not show whose it is: "alice@example.com" becomes
// "al•••@example.com". It keeps one character of a local part of up to four,
// two of a longer one, and always shows three dots whatever the length.
func maskEmail(email string) string {
	local, domain, hasAt := email, "", false
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		local, domain, hasAt = email[:i], email[i+1:], true
	}
	runes := []rune(local)
	keep := 1
	if len(runes) > 4 {
		keep = 2
	}
	masked := string(runes[:min(keep, len(runes))]) + "•••"
	if hasAt {
		masked += "@" + domain
	}
	return masked
}
