package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// keptBody is a response kept in memory: its body, its validators, and
// the header values that go with them, built once and shared by every
// response (as secure's are: a header's slice is replaced by Set and
// appended to only past its capacity, never written in place).
type keptBody struct {
	body     []byte
	etag     string
	modified time.Time // whole seconds, UTC; zero: no Last-Modified

	contentType, etagValue, modifiedValue, lengthValue []string
}

func newKeptBody(contentType string, body []byte, modified time.Time) keptBody {
	sum := sha256.Sum256(body)
	k := keptBody{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`,
		contentType: []string{contentType}, lengthValue: []string{strconv.Itoa(len(body))}}
	k.etagValue = []string{k.etag}
	if !modified.IsZero() && modified.Unix() != 0 {
		k.modified = modified.UTC().Truncate(time.Second)
		k.modifiedValue = []string{k.modified.Format(http.TimeFormat)}
	}
	return k
}

// serve writes k with its validators, or answers a conditional request:
// If-Match and If-None-Match first, If-Modified-Since only without
// If-None-Match (RFC 9110, section 13.2.2). HEAD gets the headers alone.
// Ranges are not offered (the pages are small), which RFC 9110 allows.
// This is http.ServeContent's work without its cost per request: it
// formats the date, wraps the body in readers and copies it through a
// 32 KB buffer of its own each time.
func (k *keptBody) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Etag"] = k.etagValue
	if k.modifiedValue != nil {
		h["Last-Modified"] = k.modifiedValue
	}
	if im := r.Header["If-Match"]; len(im) > 0 && !etagListed(im, k.etag, false) {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	if k.notModified(r) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = k.contentType
	h["Content-Length"] = k.lengthValue
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(k.body)
	}
}

func (k *keptBody) notModified(r *http.Request) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		return etagListed(inm, k.etag, true)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || k.modified.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !k.modified.After(t)
}

// etagListed reports whether the entity-tag lists of a header's lines
// hold "*" or etag (a strong tag), comparing weakly (a W/ tag matches its
// strong twin) or strongly (a W/ tag matches nothing).
func etagListed(lines []string, etag string, weak bool) bool {
	for _, line := range lines {
		for line != "" {
			var t string
			t, line, _ = strings.Cut(line, ",")
			t = strings.TrimSpace(t)
			if t == "*" {
				return true
			}
			if rest, ok := strings.CutPrefix(t, "W/"); ok {
				if !weak {
					continue
				}
				t = rest
			}
			if t == etag {
				return true
			}
		}
	}
	return false
}

// Cache headers of the archive, shared as keptBody's are. Browsers and
// proxies may keep a page a minute, then revalidate it with its ETag (a
// 304 costs no rendering).
var (
	cachePublic  = []string{"public, max-age=60"}
	cachePrivate = []string{"private, max-age=60"}
	noindex      = []string{"noindex"}
)
