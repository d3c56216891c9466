package sqlite

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
)

// pageLimit is the rows of a page of subscribers or addresses: 50 unless
// asked, at most 500.
func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return 50
	case limit > 500:
		return 500
	}
	return limit
}

// A cursor is opaque to callers: the sort key of the last row shown.
func encodeCursor(kind byte, key string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, key...))
}

func decodeCursor(c string, kind byte) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || b[0] != kind {
		return "", fmt.Errorf("%w: page cursor %q is not from this listing", subscribers.ErrInvalid, c)
	}
	return string(b[1:]), nil
}

func decodeIDCursor(c string) (int64, error) {
	k, err := decodeCursor(c, 'i')
	if err != nil || k == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(k, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: page cursor %q is not from this listing", subscribers.ErrInvalid, c)
	}
	return id, nil
}

// prefixRange returns the bounds [lo, hi) of the strings starting with p
// under binary comparison.
func prefixRange(p string) (string, string) {
	return p, p + "\U0010FFFF"
}
