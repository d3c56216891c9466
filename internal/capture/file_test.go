package capture

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		n    int64
		to   []string
		want string
	}{
		{1, []string{"alice@example.com"}, "0001-alice@example.com.eml"},
		{2, []string{"Bob.Smith+news@Example.COM"}, "0002-bob.smith+news@example.com.eml"},
		{3, []string{"a@x", "b@y", "c@z"}, "0003-a@x-and-2-more.eml"},
		{4, nil, "0004-unknown.eml"},
		{5, []string{"../../etc/passwd"}, "0005-_.._etc_passwd.eml"},
		{6, []string{`..\..\windows\system32@x`}, "0006-_.._windows_system32@x.eml"},
		{7, []string{"...."}, "0007-unknown.eml"},
		{8, []string{"\"john doe\"@example.com"}, "0008-_john_doe_@example.com.eml"},
		{9, []string{"jösé@例え.jp"}, "0009-j_s_@__.jp.eml"},
		{10, []string{"a\x00b\r\nc:d*e?f|g<h>@x"}, "0010-a_b__c_d_e_f_g_h_@x.eml"},
		{12345, []string{"z@z"}, "12345-z@z.eml"},
		{11, []string{strings.Repeat("a", 300) + "@example.com"}, "0011-" + strings.Repeat("a", maxStem) + ".eml"},
	}
	for _, tc := range tests {
		got := fileName(tc.n, tc.to)
		if got != tc.want {
			t.Errorf("fileName(%d, %q) = %q; want %q", tc.n, tc.to, got, tc.want)
		}
		if !filepath.IsLocal(got) || filepath.Base(got) != got || strings.ContainsAny(got, `/\`) {
			t.Errorf("fileName(%d, %q) = %q is not a plain local file name", tc.n, tc.to, got)
		}
	}
}

func TestTraceHeaderCannotBeInjected(t *testing.T) {
	env := envelope{
		helo:   "evil\r\nBcc: victim@example.com",
		remote: "127.0.0.1",
		local:  "127.0.0.1:2525",
		from:   "a@example.com\r\nX-Injected: 1",
		to:     []string{"b@example.net", "c@example.net\nX-Injected: 2"},
	}
	h := traceHeader(3, env, time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC))
	want := "Received: from evil??Bcc: victim@example.com ([127.0.0.1])\r\n" +
		"\tby 127.0.0.1:2525 (Dispatch capture) with ESMTP id 0003;\r\n" +
		"\tSun, 29 Nov 2026 15:00:00 +0000\r\n" +
		"X-Dispatch-Envelope-From: <a@example.com??X-Injected: 1>\r\n" +
		"X-Envelope-To: <b@example.net>,\r\n\t<c@example.net?X-Injected: 2>\r\n"
	if h != want {
		t.Errorf("traceHeader =\n%q\nwant\n%q", h, want)
	}
}
