package webhook

import "testing"

// TestEnhancedStatus: the status is the code alone, whatever text the
// provider put around it. Found while writing the fuzz checks, which
// require it.
func TestEnhancedStatus(t *testing.T) {
	tests := []struct {
		status string
		texts  []string
		want   string
	}{
		{status: "5.1.1", want: "5.1.1"},
		{status: " 4.2.2 ", want: "4.2.2"},
		{status: "-5.1.1", want: "5.1.1"},
		{status: "smtp; 5.1.1", want: "5.1.1"},
		{status: "", texts: []string{"no code", "550 5.7.1 blocked"}, want: "5.7.1"},
		{status: "550", texts: []string{"user unknown"}, want: ""},
	}
	for _, tc := range tests {
		if got := enhancedStatus(tc.status, tc.texts...); got != tc.want {
			t.Errorf("enhancedStatus(%q, %q) = %q; want %q", tc.status, tc.texts, got, tc.want)
		}
	}
}
