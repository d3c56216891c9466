package imports

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrTooLarge is an upload over the spool's limit.
var ErrTooLarge = errors.New("file too large")

// ErrTruncated is an upload that ended before the file did.
var ErrTruncated = errors.New("upload cut off")

// Spool keeps uploaded files between the upload, the preview, the dry run
// and the import, in a private directory. Files are named by a random id
// and belong to the user who uploaded them.
type Spool struct {
	dir      string
	maxBytes int64
}

// Upload is a spooled file.
type Upload struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"` // as the admin's computer named it
	Owner   string    `json:"owner"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
	Path    string    `json:"-"`
}

// NewSpool makes (if needed) a private directory for uploads of at most
// maxBytes each.
func NewSpool(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload directory: %w", err)
	}
	return &Spool{dir: dir, maxBytes: maxBytes}, nil
}

// MaxBytes is the largest file the spool accepts.
func (s *Spool) MaxBytes() int64 { return s.maxBytes }

// Save copies r into the spool. A file over the limit is refused with
// ErrTooLarge and one that ends early (io.ErrUnexpectedEOF from a cut
// multipart body) with ErrTruncated; nothing is kept in either case.
func (s *Spool) Save(r io.Reader, name, owner string) (*Upload, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	u := &Upload{ID: hex.EncodeToString(b[:]), Name: cleanName(name), Owner: owner, Created: time.Now().UTC()}
	u.Path = filepath.Join(s.dir, u.ID+".csv")
	f, err := os.OpenFile(u.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("save upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, s.maxBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = ErrTruncated
	case err == nil && n > s.maxBytes:
		err = ErrTooLarge
	case err != nil && strings.Contains(err.Error(), "request body too large"):
		// http.MaxBytesReader's error, without importing net/http.
		err = ErrTooLarge
	}
	if err != nil {
		os.Remove(u.Path)
		return nil, err
	}
	u.Size = n
	meta, _ := json.Marshal(u)
	if err := os.WriteFile(filepath.Join(s.dir, u.ID+".json"), meta, 0o600); err != nil {
		os.Remove(u.Path)
		return nil, fmt.Errorf("save upload: %w", err)
	}
	return u, nil
}

// Find returns an upload of owner's, or an error if there is none by that
// id (or it is someone else's).
func (s *Spool) Find(id, owner string) (*Upload, error) {
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, errors.New("no such upload")
	}
	meta, err := os.ReadFile(filepath.Join(s.dir, id+".json"))
	if err != nil {
		return nil, errors.New("no such upload (uploads are kept for a day)")
	}
	var u Upload
	if err := json.Unmarshal(meta, &u); err != nil || u.Owner != owner {
		return nil, errors.New("no such upload")
	}
	u.Path = filepath.Join(s.dir, id+".csv")
	return &u, nil
}

// Remove deletes an upload.
func (s *Spool) Remove(id string) {
	if len(id) == 32 && strings.Trim(id, "0123456789abcdef") == "" {
		os.Remove(filepath.Join(s.dir, id+".csv"))
		os.Remove(filepath.Join(s.dir, id+".json"))
	}
}

// Sweep deletes uploads older than age.
func (s *Spool) Sweep(age time.Duration) {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// cleanName keeps the base name of what a browser sent, for display.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		return "upload.csv"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}

// Dir is the spool's directory.
func (s *Spool) Dir() string { return s.dir }
