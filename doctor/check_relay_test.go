package doctor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
)

// TestCheckRelaysTakesTheHintFromTheCaller: doctor knows no configuration
// keys; the fix for a failed probe is the caller's.
func TestCheckRelaysTakesTheHintFromTheCaller(t *testing.T) {
	refused := errors.New("dial tcp 192.0.2.1:587: connect: connection refused")
	c := &doctor.Config{
		Relays: []doctor.Relay{{Name: "a"}, {Name: "b"}},
		Probe: func(context.Context, int) (doctor.RelayInfo, error) {
			return doctor.RelayInfo{}, refused
		},
	}
	for _, r := range doctor.CheckRelays(context.Background(), c).Results {
		if r.Status != doctor.Fail || r.Fix != "" {
			t.Errorf("without RelayHint: %+v; want a failure with no fix", r)
		}
	}
	var asked []int
	c.RelayHint = func(i int, err error) string {
		asked = append(asked, i)
		if !errors.Is(err, refused) {
			t.Errorf("RelayHint got %v, want the probe's error", err)
		}
		return "check relay " + c.Relays[i].Name
	}
	res := doctor.CheckRelays(context.Background(), c).Results
	if len(res) != 2 || res[0].Fix != "check relay a" || res[1].Fix != "check relay b" || len(asked) != 2 {
		t.Errorf("results %+v, asked %v; want each relay's own hint", res, asked)
	}
}
