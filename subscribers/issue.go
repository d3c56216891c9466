package subscribers

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// Issue is a newsletter issue written or uploaded in the console. Its
// Markdown source is kept in versions: every save adds one, so the
// history says who saved what, when. (A campaign keeps its own snapshot
// of what it sent; editing an issue never changes a campaign.)
type Issue struct {
	ID        int64
	Name      string // unique, also the issue's id when its front matter has none
	CreatedBy string
	CreatedAt time.Time
	// Latest is the newest version, with its source.
	Latest   IssueVersion
	Versions int
}

// IssueVersion is one saved state of an issue.
type IssueVersion struct {
	ID      int64
	IssueID int64
	// Number counts the issue's versions from 1.
	Number  int
	Source  string // empty in lists of versions
	Subject string // as parsed when saved; "" if it did not parse
	Size    int
	SavedBy string
	SavedAt time.Time
}

// IssueEdit is a save: the new source, its subject and who saved it.
type IssueEdit struct {
	Source  string
	Subject string
	Actor   string
}

// MaxIssueBytes bounds an issue's source: a newsletter is text, and a
// larger upload is a mistake.
const MaxIssueBytes = 512 << 10

var issueNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// ValidateIssueName checks an issue's name: lowercase letters, digits,
// dots, dashes and underscores, up to 100, as in a file name or a
// campaign id.
func ValidateIssueName(name string) error {
	if !issueNameRE.MatchString(name) {
		return fmt.Errorf("issue name %q: use lowercase letters, digits, '.', '-' and '_' (up to 100), starting with a letter or digit: %w", name, ErrInvalid)
	}
	return nil
}

// IssueService keeps the issues edited in the console and their history.
type IssueService interface {
	// CreateIssue stores a new issue with its first version. It returns
	// ErrExists when the name is taken and ErrInvalid for a bad name or an
	// empty or oversized source.
	CreateIssue(ctx context.Context, name string, e IssueEdit) (*Issue, error)
	// SaveIssue adds a version to an issue, unless the source is the same
	// as the latest version's (then it returns that version and false).
	SaveIssue(ctx context.Context, id int64, e IssueEdit) (*IssueVersion, bool, error)
	FindIssues(ctx context.Context) ([]Issue, error)
	FindIssueByID(ctx context.Context, id int64) (*Issue, error)
	// FindIssueVersions lists an issue's versions, newest first, without
	// their sources.
	FindIssueVersions(ctx context.Context, issueID int64) ([]IssueVersion, error)
	// FindIssueVersion returns one version of an issue, with its source.
	FindIssueVersion(ctx context.Context, issueID int64, number int) (*IssueVersion, error)
}

// CheckIssueSource refuses an empty or oversized source.
func CheckIssueSource(src string) error {
	switch {
	case len(src) == 0:
		return fmt.Errorf("the issue is empty: %w", ErrInvalid)
	case len(src) > MaxIssueBytes:
		return fmt.Errorf("the issue is %d KB, more than the %d KB an issue may have: %w", len(src)>>10, MaxIssueBytes>>10, ErrInvalid)
	}
	return nil
}
