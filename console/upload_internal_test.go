package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/sqlite"
)

// TestUploadChecksTokenAndStreams: an upload route refuses a body without
// the session's token in its first part (or header), and hands the rest
// of the multipart stream, limited in size, to its handler.
func TestUploadChecksTokenAndStreams(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.accounts.AddUser(ctx, "ada@example.com", "", "correct horse battery", "test")
	if err != nil {
		t.Fatal(err)
	}
	id, sess, err := s.accounts.StartSession(ctx, u, accounts.StageFull)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	var readErr error
	mux := http.NewServeMux()
	s.upload(mux, "POST /up", 1000, func(w http.ResponseWriter, r *http.Request, mr *multipart.Reader) {
		got, readErr = "", nil
		p, err := mr.NextPart()
		if err != nil {
			readErr = err
			return
		}
		b, err := io.ReadAll(p)
		got, readErr = p.FormName()+"="+string(b), err
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(contentType string, body []byte, header string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/up", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.AddCookie(&http.Cookie{Name: "dispatch_session", Value: id})
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	form := func(token, file string) (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if token != "" {
			w.WriteField("csrf", token)
		}
		fw, _ := w.CreateFormFile("file", "contacts.csv")
		fw.Write([]byte(file))
		w.Close()
		return w.FormDataContentType(), b.Bytes()
	}

	ct, body := form(sess.CSRFToken, "email\na@example.com\n")
	if code := post(ct, body, ""); code != http.StatusOK || got != "file=email\na@example.com\n" || readErr != nil {
		t.Errorf("with the token first: %d, handler read %q, %v", code, got, readErr)
	}
	got = "not called"
	ct, body = form("", "email\n")
	if code := post(ct, body, ""); code != http.StatusForbidden || got != "not called" {
		t.Errorf("without a token: %d, handler %q; want 403 and no call", code, got)
	}
	ct, body = form("wrong-token", "email\n")
	if code := post(ct, body, ""); code != http.StatusForbidden || got != "not called" {
		t.Errorf("with a wrong token: %d; want 403", code)
	}
	ct, body = form("", "email\n")
	if code := post(ct, body, sess.CSRFToken); code != http.StatusOK || got != "file=email\n" {
		t.Errorf("token in the header: %d, %q", code, got)
	}
	if code := post("application/x-www-form-urlencoded", []byte("csrf="+sess.CSRFToken), ""); code != http.StatusBadRequest {
		t.Errorf("not multipart: %d; want 400", code)
	}
	ct, body = form(sess.CSRFToken, strings.Repeat("x", 3000))
	post(ct, body, "")
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) {
		t.Errorf("over the limit, the handler's read error = %v; want *http.MaxBytesError", readErr)
	}
}
