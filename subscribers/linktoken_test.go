package subscribers_test

import (
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestLinkSig(t *testing.T) {
	tok, err := subscribers.NewTokens(strings.Repeat("k", 32))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := subscribers.NewTokens(strings.Repeat("j", 32))
	sig := tok.LinkSig(7, 3)
	if got := tok.LinkURL("https://n.example/x/", 7, 3); got != "https://n.example/x/l/7/3."+sig {
		t.Errorf("LinkURL = %q", got)
	}
	cases := []struct {
		name     string
		campaign int64
		n        int
		sig      string
		ok       bool
	}{
		{"valid", 7, 3, sig, true},
		{"other link", 7, 4, sig, false},
		{"other campaign", 8, 3, sig, false},
		{"tampered", 7, 3, sig[:len(sig)-1] + "x", false},
		{"upper case", 7, 3, strings.ToUpper(sig), false},
		{"other secret", 7, 3, other.LinkSig(7, 3), false},
		{"empty", 7, 3, "", false},
		{"open sig", 7, 3, tok.OpenSig(7), false},
	}
	for _, c := range cases {
		if got := tok.VerifyLinkSig(c.campaign, c.n, c.sig); got != c.ok {
			t.Errorf("%s: VerifyLinkSig(%d, %d, %q) = %v; want %v", c.name, c.campaign, c.n, c.sig, got, c.ok)
		}
	}
	if !tok.VerifyOpenSig(7, tok.OpenSig(7)) || tok.VerifyOpenSig(8, tok.OpenSig(7)) {
		t.Error("open signatures do not tell campaigns apart")
	}
}
