package subscribers

import (
	"errors"
	"strings"
	"time"
)

// ErrLinkExpired is returned for a correctly signed link whose time is up.
// Only the holder of a once-valid link can learn this, so saying it leaks
// nothing.
var ErrLinkExpired = errors.New("link expired")

// How long manage links work. A link in a campaign's email lasts a while,
// so the footer of a recent issue still opens the preference centre; a
// link mailed from the /manage form is short-lived. Either, once expired,
// leads to the form that mails a fresh one.
const (
	ManageLinkTTL          = 60 * 24 * time.Hour
	RequestedManageLinkTTL = 24 * time.Hour
)

// Manage returns the token of a preference-centre link for a subscriber,
// valid until expires (rounded down to the second).
func (t *Tokens) Manage(subscriberID int64, expires time.Time) string {
	return t.sign(purposeManage, subscriberID, expires.Unix())
}

// ParseManage verifies a manage token at now. It returns ErrInvalidToken
// for a malformed or forged token and ErrLinkExpired for one past its time.
func (t *Tokens) ParseManage(tok string, now time.Time) (int64, error) {
	ids, err := t.verify(purposeManage, tok, 2)
	if err != nil {
		return 0, err
	}
	if !now.Before(time.Unix(ids[1], 0)) {
		return 0, ErrLinkExpired
	}
	return ids[0], nil
}

// ManageURL is the preference-centre link: baseURL + "/manage/" + token.
func ManageURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/manage/" + token
}
