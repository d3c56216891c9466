package console

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/dispatchhq/dispatch/accounts"
)

type twoFactorData struct {
	QR     template.URL // data: URL of the QR code
	Secret string
	Codes  []string // recovery codes, shown once after enabling
}

// handleTwoFactorSetup makes a TOTP secret, keeps it with the session
// until a code confirms it, and shows it as a QR code.
func (s *Server) handleTwoFactorSetup(w http.ResponseWriter, r *http.Request) {
	u, sess := userOf(r), authOf(r).sess
	key, err := accounts.NewTOTPKey(totpIssuer(s.cfg.SiteName), u.Email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.SetPendingTOTP(r.Context(), sess.IDHash, key.Secret); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTwoFactor(w, r, http.StatusOK, "", key.Secret, key.QRPNG)
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, msg, secret string, png []byte) {
	d := twoFactorData{Secret: secret}
	if png != nil {
		// The image is built here from our own bytes, never from input.
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	s.render(w, r, page{Status: status, Name: "account_2fa.html", Title: "Two-factor authentication", Nav: "account", Error: msg, Data: d})
}

func (s *Server) handleTwoFactorEnable(w http.ResponseWriter, r *http.Request) {
	u, sess := userOf(r), authOf(r).sess
	if sess.PendingTOTP == "" {
		s.redirect(w, r, "/account", "")
		return
	}
	codes, err := s.accounts.EnableTwoFactor(r.Context(), u, sess.PendingTOTP, r.PostFormValue("code"), actor(r))
	if errors.Is(err, accounts.ErrBadCredentials) {
		key, kerr := totpImage(sess.PendingTOTP, u.Email, s.cfg.SiteName)
		if kerr != nil {
			s.fail(w, r, kerr)
			return
		}
		s.renderTwoFactor(w, r, http.StatusUnprocessableEntity,
			"That code does not match. Check the time on your phone and enter the current code.", sess.PendingTOTP, key)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.SetPendingTOTP(r.Context(), sess.IDHash, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Name: "account_2fa.html", Title: "Two-factor authentication is on", Nav: "account",
		Data: twoFactorData{Codes: codes}})
}

func (s *Server) handleTwoFactorDisable(w http.ResponseWriter, r *http.Request) {
	err := s.accounts.DisableTwoFactor(r.Context(), userOf(r), r.PostFormValue("password"), actor(r))
	if errors.Is(err, accounts.ErrBadCredentials) {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{TwoFactorError: "The password is wrong. Two-factor authentication is still on."})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account", "Two-factor authentication is off.")
}

func totpImage(secret, email, site string) ([]byte, error) {
	k, err := accounts.TOTPKeyFor(totpIssuer(site), email, secret)
	if err != nil {
		return nil, err
	}
	return k.QRPNG, nil
}

// totpIssuer names the account in the authenticator app. A colon would
// split the otpauth label (Key URI Format), so it becomes a space.
func totpIssuer(site string) string { return "Dispatch " + strings.ReplaceAll(site, ":", " ") }
