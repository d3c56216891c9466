package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// listForm is the create and rename form of a list.
type listForm struct {
	Name  string
	Title string
}

func readListForm(r *http.Request) listForm {
	return listForm{Name: strings.TrimSpace(r.PostFormValue("name")), Title: strings.TrimSpace(r.PostFormValue("title"))}
}

// validate applies the store's own rules, so the form says what is wrong
// before anything is tried.
func (f listForm) validate() error {
	if err := subscribers.ValidateListName(f.Name); err != nil {
		return err
	}
	return subscribers.ValidateListTitle(f.Title)
}

// formError turns a domain error into what the form shows: the rule that
// was broken, without the wrapping.
func formError(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{subscribers.ErrInvalid, subscribers.ErrExists} {
		if errors.Is(err, sentinel) {
			msg = strings.TrimSuffix(msg, ": "+sentinel.Error())
		}
	}
	if msg == "" {
		return "That is not valid."
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}
