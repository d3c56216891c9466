package smtptest

import (
	"maps"
	"testing"
)

// TestScannerSplitReads feeds a client stream to the command scanner split
// at every byte position, as TCP may deliver it, and checks that body lines
// which look like commands are never counted.
func TestScannerSplitReads(t *testing.T) {
	tests := []struct {
		name   string
		before string // up to and including the DATA line
		after  string // body, end marker and later commands
		reply  string // the server's reply to DATA
		want   map[string]int
	}{
		{
			name:   "data body",
			before: "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
			after:  "NOOP\r\nRSET\r\n..\r\nQUIT\r\n.\r\nnoop\r\nQUIT\r\n",
			reply:  "354 go ahead\r\n",
			want:   map[string]int{"EHLO": 1, "MAIL": 1, "RCPT": 1, "DATA": 1, "NOOP": 1, "QUIT": 1},
		},
		{
			name:   "empty body",
			before: "DATA\r\n",
			after:  ".\r\nRSET\r\n",
			reply:  "354 go ahead\r\n",
			want:   map[string]int{"DATA": 1, "RSET": 1},
		},
		{
			name:   "refused data sends no body",
			before: "DATA\r\n",
			after:  "RSET\r\nNOOP\r\n",
			reply:  "502 5.5.1 Missing RCPT TO command.\r\n",
			want:   map[string]int{"DATA": 1, "RSET": 1, "NOOP": 1},
		},
		{
			name:   "bdat chunk is skipped",
			before: "BDAT 12 LAST\r\nNOOP\r\nRSET\r\nNOOP\r\n",
			want:   map[string]int{"BDAT": 1, "NOOP": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A real client waits for the reply to DATA before sending the
			// body; within each part, reads may split anywhere.
			for size := 1; size <= max(len(tc.before), len(tc.after)); size++ {
				srv := &Server{}
				c := &conn{srv: srv, scan: true}
				feedChunks(c, tc.before, size)
				if c.await354 {
					c.serverReplied([]byte(tc.reply))
				}
				feedChunks(c, tc.after, size)
				got := map[string]int{}
				for i, v := range verbs {
					if n := srv.cmds[i].Load(); n > 0 {
						got[v] = int(n)
					}
				}
				if !maps.Equal(got, tc.want) {
					t.Fatalf("reads of %d bytes: commands = %v; want %v", size, got, tc.want)
				}
			}
		})
	}
}

func feedChunks(c *conn, s string, size int) {
	for len(s) > 0 {
		n := min(size, len(s))
		c.scanClient([]byte(s[:n]))
		s = s[n:]
	}
}

func TestDotStuff(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{".a\r\n", "..a\r\n"},
		{"a\r\n.\r\n..\r\nb.c\r\n", "a\r\n..\r\n...\r\nb.c\r\n"},
		{"x\r\n.", "x\r\n.."},
	}
	for _, tc := range tests {
		if got := string(dotStuff(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("dotStuff(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
