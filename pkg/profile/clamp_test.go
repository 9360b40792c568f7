package profile

import (
	"testing"
	"time"
)

func TestClampFuture(t *testing.T) {
	recv := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		at      time.Time
		clamped bool
	}{
		{"in the past", recv.Add(-24 * time.Hour), false},
		{"at receipt", recv, false},
		{"ahead within the tolerance", recv.Add(ClockTolerance), false},
		{"ahead past the tolerance", recv.Add(ClockTolerance + time.Millisecond), true},
		{"a day ahead", recv.Add(24 * time.Hour), true},
		{"in 2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Event{OccurredAt: tt.at, ReceivedAt: recv}
			if got := e.ClampFuture(); got != tt.clamped {
				t.Fatalf("ClampFuture() = %v, want %v", got, tt.clamped)
			}
			want := tt.at
			if tt.clamped {
				want = recv
			}
			if !e.OccurredAt.Equal(want) {
				t.Errorf("OccurredAt = %v, want %v", e.OccurredAt, want)
			}
		})
	}
	// No receipt time, nothing to compare with: left alone.
	e := Event{OccurredAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
	if e.ClampFuture() {
		t.Error("clamped an event without a receipt time")
	}
}
