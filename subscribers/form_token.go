package subscribers

import (
	"strings"
	"time"
)

// Purposes of the subscribe form's tokens (see token.go).
const (
	purposeConfirm byte = 'c'
	purposeForm    byte = 'f'
)

// Confirm returns the token of a confirmation link. It names the
// subscriber, the list and when it was issued, so it expires without any
// state kept for it.
func (t *Tokens) Confirm(r ConfirmRef) string {
	return t.sign(purposeConfirm, r.SubscriberID, r.ListID, r.Issued.Unix())
}

// ParseConfirm verifies a confirmation token and returns what it names,
// or ErrInvalidToken. The caller decides whether Issued is too old.
func (t *Tokens) ParseConfirm(tok string) (ConfirmRef, error) {
	ids, err := t.verify(purposeConfirm, tok, 3)
	if err != nil {
		return ConfirmRef{}, err
	}
	return ConfirmRef{SubscriberID: ids[0], ListID: ids[1], Issued: time.Unix(ids[2], 0)}, nil
}

// FormStamp returns the signed time stamp a subscribe form carries, so
// the POST can tell how long the form was open: bots fill forms in
// milliseconds. listID ties it to one list's form.
func (t *Tokens) FormStamp(listID int64, at time.Time) string {
	return t.sign(purposeForm, listID, at.Unix())
}

// ParseFormStamp verifies a form stamp for listID and returns when the
// form was served, or ErrInvalidToken.
func (t *Tokens) ParseFormStamp(listID int64, tok string) (time.Time, error) {
	ids, err := t.verify(purposeForm, strings.TrimSpace(tok), 2)
	if err != nil {
		return time.Time{}, err
	}
	if ids[0] != listID {
		return time.Time{}, ErrInvalidToken
	}
	return time.Unix(ids[1], 0), nil
}

// ConfirmURL is a confirmation link: baseURL + "/subscribe/confirm/" + token.
func ConfirmURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/subscribe/confirm/" + token
}
