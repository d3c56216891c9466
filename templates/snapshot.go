package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// snapshotVersion changes when the meaning of Snapshot's fields changes.
const snapshotVersion = 1

// Snapshot is a compiled issue as data, for storing with a campaign so a
// resumed send uses exactly what it started with even if the Markdown,
// layout or configuration changed since. It holds the per-recipient
// templates after inlining, so Restore needs neither goldmark nor premailer.
type Snapshot struct {
	Version   int       `json:"version"`
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Subject   string    `json:"subject"` // text/template source
	From      string    `json:"from"`
	Preheader string    `json:"preheader"`
	Title     string    `json:"title"`
	Date      time.Time `json:"date"`
	HTML      string    `json:"html"` // html/template source, CSS inlined
	Text      string    `json:"text"` // text/template source
	Warnings  []Check   `json:"warnings,omitempty"`
	// Digest is a SHA-256 over the fields above; Restore refuses a
	// snapshot whose content does not match it.
	Digest string `json:"digest"`
}

// Snapshot returns the compiled issue as data.
func (c *Compiled) Snapshot() Snapshot {
	s := Snapshot{
		Version:   snapshotVersion,
		ID:        c.ID,
		Path:      c.Path,
		Subject:   c.subject.src,
		From:      c.From,
		Preheader: c.Preheader,
		Title:     c.Title,
		Date:      c.Date,
		HTML:      c.html.src,
		Text:      c.text.src,
		Warnings:  append([]Check(nil), c.Warnings...),
	}
	s.Digest = s.digest()
	return s
}

// Restore rebuilds a compiled issue from a snapshot.
func Restore(s Snapshot) (*Compiled, error) {
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("restore issue %s: snapshot version %d, want %d", s.ID, s.Version, snapshotVersion)
	}
	if d := s.digest(); d != s.Digest {
		return nil, fmt.Errorf("restore issue %s: digest mismatch: the snapshot was altered or damaged", s.ID)
	}
	c := &Compiled{
		ID:        s.ID,
		Path:      s.Path,
		Subject:   s.Subject,
		From:      s.From,
		Preheader: s.Preheader,
		Title:     s.Title,
		Date:      s.Date,
		Warnings:  append([]Check(nil), s.Warnings...),
	}
	if err := c.build(s.HTML, s.Text, s.Subject); err != nil {
		return nil, fmt.Errorf("restore issue %s: %w", s.ID, err)
	}
	return c, nil
}

func (s *Snapshot) digest() string {
	h := sha256.New()
	field := func(v string) {
		h.Write([]byte(strconv.Itoa(len(v))))
		h.Write([]byte{':'})
		h.Write([]byte(v))
	}
	field(strconv.Itoa(s.Version))
	field(s.ID)
	field(s.Path)
	field(s.Subject)
	field(s.From)
	field(s.Preheader)
	field(s.Title)
	field(s.Date.UTC().Format(time.RFC3339Nano))
	field(s.HTML)
	field(s.Text)
	for _, w := range s.Warnings {
		field(w.String())
	}
	return hex.EncodeToString(h.Sum(nil))
}
