package shop

import "testing"

// Every pair of status and event: nothing goes backwards, final states stay,
// and a paid order is never failed, expired or put back to waiting.
func TestTransitionsNeverGoBackwards(t *testing.T) {
	for _, from := range Statuses {
		for _, ev := range Events {
			to, changed, err := Next(from, ev)
			if err != nil {
				t.Fatalf("%s on %s: %v", from, ev, err)
			}
			if changed != (to != from) {
				t.Fatalf("%s on %s: changed=%v but to=%s", from, ev, changed, to)
			}
			if changed && rank(to) < rank(from) {
				t.Errorf("%s on %s goes back to %s", from, ev, to)
			}
			if from.Final() && changed {
				t.Errorf("final %s moved to %s on %s", from, to, ev)
			}
			if from == StatusPaid && changed && to != StatusRefunded {
				t.Errorf("paid order moved to %s on %s", to, ev)
			}
		}
	}
}

func TestTransitionTable(t *testing.T) {
	cases := []struct {
		from Status
		ev   Event
		to   Status
	}{
		{StatusWaiting, EventPaid, StatusPaid},
		{StatusWaiting, EventFailed, StatusFailed},
		{StatusFailed, EventPaid, StatusPaid},
		{StatusFailed, EventFailed, StatusFailed},
		{StatusPaid, EventFailed, StatusPaid},
		{StatusPaid, EventPaid, StatusPaid},
		{StatusPaid, EventExpired, StatusPaid},
		{StatusPaid, EventMismatch, StatusPaid},
		{StatusPaid, EventRefunded, StatusRefunded},
		{StatusWaiting, EventMismatch, StatusReview},
		{StatusWaiting, EventExpired, StatusExpired},
		{StatusExpired, EventPaid, StatusPaid},
		{StatusReview, EventPaid, StatusReview},
		{StatusWaiting, EventRefunded, StatusWaiting},
	}
	for _, c := range cases {
		to, _, err := Next(c.from, c.ev)
		if err != nil || to != c.to {
			t.Errorf("%s on %s = %s, %v; want %s", c.from, c.ev, to, err, c.to)
		}
	}
	if _, _, err := Next("Q", EventPaid); err == nil {
		t.Error("unknown status accepted")
	}
	if _, _, err := Next(StatusWaiting, "boom"); err == nil {
		t.Error("unknown event accepted")
	}
}
