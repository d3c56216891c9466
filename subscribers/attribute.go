package subscribers

import (
	"fmt"
	"strings"
	"unicode"
)

// DefaultMaxAttributesBytes caps a subscriber's attributes as stored JSON on
// every path that writes them.
const DefaultMaxAttributesBytes = 64 << 10

// AttributesTooLong says that attributes of n bytes as JSON break the
// limit (import.max_attributes_bytes), in the words every path that
// refuses them uses.
func AttributesTooLong(n, limit int) string {
	return fmt.Sprintf("the attributes are %d bytes as JSON, over the %s limit (import.max_attributes_bytes)", n, ByteSize(limit))
}

// ByteSize writes a size limit the way people set it ("64 KiB").
func ByteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

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
