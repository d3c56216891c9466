package console

import (
	"io"
	"mime/multipart"
	"net/http"
)

// UploadHandler handles a multipart/form-data POST whose CSRF token was
// already checked. mr is positioned after the token's part, so the file
// can be streamed (never held in memory or parsed into a temporary file
// by net/http); the body is limited to the route's maxBytes, beyond which
// reads fail with *http.MaxBytesError.
type UploadHandler func(w http.ResponseWriter, r *http.Request, mr *multipart.Reader)

// upload registers a file upload. Like action, it needs a logged-in user
// and the session's CSRF token, but it reads the token without parsing
// the body: from the X-CSRF-Token header, or from the first part of the
// form, which must be the "csrf" field ({{template "csrf" $}} as the
// form's first field).
func (s *Server) upload(mux *http.ServeMux, pattern string, maxBytes int64, h UploadHandler) {
	mux.Handle(pattern, s.requireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		mr, err := r.MultipartReader()
		if err != nil {
			s.message(w, r, http.StatusBadRequest, "Not a file upload",
				"This address takes a file sent from the console's upload form. Nothing was changed.")
			return
		}
		tok := r.Header.Get(csrfHeader)
		if tok == "" {
			if p, err := mr.NextPart(); err == nil && p.FormName() == csrfField {
				b, _ := io.ReadAll(io.LimitReader(p, 256))
				tok = string(b)
			}
		}
		if !sameToken(tok, authOf(r).sess.CSRFToken) {
			s.message(w, r, http.StatusForbidden, "Request refused",
				"This form was missing its security token or was opened before you logged in again, so nothing was changed. Go back, reload the page and try again.")
			return
		}
		h(w, r, mr)
	})))
}
