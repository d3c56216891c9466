package subscribers

import (
	"strings"
	"unicode"
)

// DefaultMaxAttributesBytes caps a subscriber's attributes as stored JSON on
// every path that writes them.
const DefaultMaxAttributesBytes = 64 << 10

// AttributeKey turns a header into a snake_case attribute key.
func AttributeKey(h string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	return b.String()
}
