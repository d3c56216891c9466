package console

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/subscribers"
)

// previewRows is how many rows the preview shows.
const previewRows = 10

// uploadSlack is what a multipart body holds beyond the file: the token,
// the part headers and boundaries.
const uploadSlack = 64 << 10

// uploadTimeout bounds the reading of an upload's body.
const uploadTimeout = 15 * time.Minute

// uploadAge is how long an upload waits to be imported.
const uploadAge = 24 * time.Hour

// handleImportUpload keeps an uploaded file in the spool and sends the
// admin to its preview. A file that is too large, cut off, empty or not
// CSV is refused on the upload page, and nothing is kept.
func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request, mr *multipart.Reader) {
	if !s.importsReady(w, r) {
		return
	}
	// A large file over a slow line takes longer than a form, and the
	// answer comes after it.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(uploadTimeout + time.Minute))
	// Uploads never imported go after a day.
	s.cfg.Uploads.Sweep(uploadAge)
	part, err := nextFilePart(mr)
	if err != nil {
		s.renderImports(w, r, uploadStatus(err), s.uploadError(err, ""))
		return
	}
	if part == nil || part.FileName() == "" {
		s.renderImports(w, r, http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
		return
	}
	up, err := s.cfg.Uploads.Save(part, part.FileName(), actor(r))
	if err != nil {
		s.renderImports(w, r, uploadStatus(err), s.uploadError(err, part.FileName()))
		return
	}
	if up.Size == 0 {
		s.cfg.Uploads.Remove(up.ID)
		s.renderImports(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s is empty: nothing was imported. Choose another file.", up.Name))
		return
	}
	if _, err := s.previewUpload(up, nil); err != nil {
		s.cfg.Uploads.Remove(up.ID)
		s.renderImports(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s cannot be imported: %s. Nothing was imported.", up.Name, err))
		return
	}
	s.redirect(w, r, "/imports/mapping?"+url.Values{"upload": {up.ID}}.Encode(), "")
}

// maxUploadBody is the body limit of the upload route: the file's limit
// and room for the rest of the form. Without a spool the route refuses
// everything anyway.
func (s *Server) maxUploadBody() int64 {
	if s.cfg.Uploads == nil {
		return uploadSlack
	}
	return s.cfg.Uploads.MaxBytes() + uploadSlack
}

// nextFilePart skips to the "file" part; nil if the form has none.
func nextFilePart(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

func uploadStatus(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, imports.ErrTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusBadRequest
	}
}

func (s *Server) uploadError(err error, name string) string {
	if name == "" {
		name = "The file"
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, imports.ErrTooLarge), errors.As(err, &mbe):
		return fmt.Sprintf("%s is over the upload limit of %d MB (admin.max_upload_mb): nothing was imported. "+
			"Split it into smaller files, or import it with `dispatch import`.", name, s.cfg.Uploads.MaxBytes()>>20)
	case errors.Is(err, imports.ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return "The upload was cut off before the end of the file: nothing was imported. Try again."
	default:
		return "The upload failed (" + err.Error() + "): nothing was imported. Try again."
	}
}

// previewUpload reads the start of an upload as the import would, and
// refuses what is not CSV text whatever the mapping.
// A nil mapping detects the columns.
func (s *Server) previewUpload(up *imports.Upload, mp *subscribers.Mapping) (*csvimport.Preview, error) {
	f, err := os.Open(up.Path)
	if err != nil {
		return nil, errors.New("the file is gone (it was imported already, or is more than a day old): upload it again")
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if err := notText(head[:n]); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	p, err := csvimport.PreviewImport(f, csvimport.PreviewConfig{Mapping: mp, Rows: previewRows, Limits: s.cfg.ImportLimits})
	if err != nil {
		return nil, err
	}
	if binaryCells(p) {
		return nil, errors.New("it holds binary data, not text: it is not a CSV file")
	}
	return p, nil
}

// notText refuses files whose first bytes say they are something else: an
// image, a PDF, an archive. (Spreadsheets are refused by the CSV reader,
// with advice on saving them as CSV.)
func notText(head []byte) error {
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "text/"), ct == "application/octet-stream", ct == "application/zip",
		strings.HasPrefix(ct, "application/vnd."):
		// octet-stream may be UTF-16 without a byte-order mark; the CSV
		// reader decides, and binaryCells checks what it read.
		return nil
	default:
		return fmt.Errorf("it is a %s file, not CSV: export the contacts as CSV and upload that", kindOf(ct))
	}
}

func kindOf(contentType string) string {
	ct, _, _ := strings.Cut(contentType, ";")
	switch {
	case ct == "application/pdf":
		return "PDF"
	case strings.HasPrefix(ct, "image/"):
		return "picture (" + ct + ")"
	case strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"):
		return "media (" + ct + ")"
	}
	return ct
}

// binaryCells reports control characters in what the reader understood:
// text files have none but tabs.
func binaryCells(p *csvimport.Preview) bool {
	bad := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0
	}
	for _, h := range p.Header {
		if bad(h) {
			return true
		}
	}
	for _, row := range p.Rows {
		for _, c := range row.Cells {
			if bad(c) {
				return true
			}
		}
	}
	return false
}
