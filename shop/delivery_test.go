package shop

import (
	"testing"
	"time"
)

// A repeat takes the earlier delivery's answer and names the delivery
// that asked the bank, also when the earlier one was a repeat itself.
func TestRepeat(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 32, 30, 0, time.UTC)
	first := &Delivery{ID: 7, Ref: "3f2a9c", Source: SourceNotify, ReceivedAt: at,
		Outcome: Outcome{Kind: OutcomeMismatch, Detail: "amount", Unchanged: true}, ProcessedAt: at}
	second := &Delivery{ID: 9, Ref: "99", Source: SourceReturn, ReceivedAt: at.Add(time.Hour), Outcome: Repeat(first)}
	want := Outcome{Kind: OutcomeMismatch, Detail: "amount", Repeats: &DeliveryRef{ID: 7, Ref: "3f2a9c", Source: SourceNotify, ReceivedAt: at}}
	for _, got := range []Outcome{second.Outcome, Repeat(second)} {
		if got.Kind != want.Kind || got.Detail != want.Detail || got.Unchanged || *got.Repeats != *want.Repeats {
			t.Errorf("got %+v (repeats %+v), want %+v", got, got.Repeats, want.Repeats)
		}
	}
}
