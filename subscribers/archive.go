package subscribers

import (
	"net/url"
	"strings"
	"time"
)

// ArchivedIssue is one sent campaign as the web archive lists it. Its
// subject and title are template sources: the web version renders them
// without anyone's data.
type ArchivedIssue struct {
	CampaignID int64
	ListID     int64
	Slug       string
	SentAt     time.Time // when the campaign started sending
}

// ArchivePage is one page of a list's archive, newest first.
type ArchivePage struct {
	Issues []ArchivedIssue
	// More says an older page exists.
	More bool
	// Updated is when the newest issue of the list was sent; zero for an
	// empty archive. Every page shares it, as any new issue shifts them all.
	Updated time.Time
	// Total counts the list's sent issues.
	Total int
}

// ArchiveURL is the web version of an issue: baseURL + "/archive/" +
// list + "/" + slug, each segment escaped.
func ArchiveURL(baseURL, list, slug string) string {
	return strings.TrimRight(baseURL, "/") + "/archive/" + url.PathEscape(list) + "/" + url.PathEscape(slug)
}

// ArchiveKeyParam is the query parameter of a web version link that
// carries its signed key, which opens the issues of private lists.
const ArchiveKeyParam = "k"

// ArchiveLink is the web version link an email carries: ArchiveURL with
// the campaign's signed key, so it works whatever the list's visibility.
// The key names the campaign, never the recipient: a forwarded link shows
// the issue and says nothing about who forwarded it.
func (t *Tokens) ArchiveLink(baseURL, list, slug string, campaignID int64) string {
	return ArchiveURL(baseURL, list, slug) + "?" + ArchiveKeyParam + "=" + t.Archive(campaignID)
}

// Archive returns the key that opens one campaign's web version.
func (t *Tokens) Archive(campaignID int64) string {
	return t.sign(purposeArchive, campaignID)
}

// ParseArchive verifies an archive key and returns its campaign.
func (t *Tokens) ParseArchive(tok string) (int64, error) {
	ids, err := t.verify(purposeArchive, tok, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}
