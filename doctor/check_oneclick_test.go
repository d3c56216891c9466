package doctor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
)

func TestCheckOneClick(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   doctor.Status
		msg    string
	}{
		{name: "OK", answer: func(w http.ResponseWriter) { w.WriteHeader(200) }, want: doctor.OK},
		{name: "Redirect", answer: func(w http.ResponseWriter) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusSeeOther)
		}, want: doctor.Fail, msg: "redirect"},
		{name: "Cookie", answer: func(w http.ResponseWriter) {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "x"})
			w.WriteHeader(200)
		}, want: doctor.Fail, msg: "cookie"},
		{name: "NotFound", answer: func(w http.ResponseWriter) { w.WriteHeader(404) }, want: doctor.Fail, msg: "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var types []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/healthz" {
					w.WriteHeader(200)
					return
				}
				if r.Method != http.MethodPost || r.URL.Path != "/u/tok123" {
					t.Errorf("%s %s; want POST /u/tok123", r.Method, r.URL.Path)
				}
				if err := r.ParseMultipartForm(1 << 10); err != nil && err != http.ErrNotMultipart {
					t.Error(err)
				}
				if got := r.FormValue("List-Unsubscribe"); got != "One-Click" {
					t.Errorf("List-Unsubscribe = %q; want One-Click", got)
				}
				mu.Lock()
				types = append(types, strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0])
				mu.Unlock()
				tc.answer(w)
			}))
			defer srv.Close()
			c := &doctor.Config{BaseURL: srv.URL, OneClickToken: "tok123"}
			rep := doctor.CheckOneClick(context.Background(), c)
			for _, name := range []string{"one-click urlencoded", "one-click multipart"} {
				got := find(t, rep, name)
				if got.Status != tc.want || !strings.Contains(got.Message, tc.msg) {
					t.Errorf("%s = %v %q; want %v containing %q", name, got.Status, got.Message, tc.want, tc.msg)
				}
			}
			if got := find(t, rep, "healthz"); got.Status != doctor.OK {
				t.Errorf("healthz = %v %q", got.Status, got.Message)
			}
			if strings.Join(types, ",") != "application/x-www-form-urlencoded,multipart/form-data" {
				t.Errorf("content types %v", types)
			}
		})
	}
}

func TestCheckOneClickServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	remote := &doctor.Config{BaseURL: url, OneClickToken: "t", Relays: []doctor.Relay{{Host: "smtp.example.com"}}}
	if got := find(t, doctor.CheckOneClick(context.Background(), remote), "one-click urlencoded"); got.Status != doctor.Fail {
		t.Errorf("server down, remote relay: %v; want FAIL", got.Status)
	}
	local := &doctor.Config{BaseURL: url, OneClickToken: "t", Relays: []doctor.Relay{{Host: "127.0.0.1"}}}
	if got := find(t, doctor.CheckOneClick(context.Background(), local), "one-click urlencoded"); got.Status != doctor.Warn {
		t.Errorf("server down, local relay: %v; want WARN", got.Status)
	}
}
