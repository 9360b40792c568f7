package jobs

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC) // a Wednesday, 17:30 in Berlin
	tests := []struct {
		s    Schedule
		want time.Time
	}{
		{Schedule{Cron: "0 2 * * ? *", TimeZone: "Europe/Berlin"}, time.Date(2026, 12, 3, 2, 0, 0, 0, berlin)},
		{Schedule{Cron: "15,45 * * * ? *", TimeZone: "UTC"}, time.Date(2026, 12, 2, 16, 45, 0, 0, time.UTC)},
		{Schedule{Cron: "0 9 ? * MON-FRI *", TimeZone: "UTC"}, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)},
		{Schedule{Cron: "0 9 ? * 2 *", TimeZone: "UTC"}, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}, // Monday
		{Schedule{Cron: "0 0 1 JAN ? *", TimeZone: "UTC"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Schedule{Cron: "*/20 8-10 * * ? 2027", TimeZone: "UTC"}, time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)},
		// The spring-forward night: 02:30 does not exist in Berlin on 2027-03-28.
		{Schedule{Cron: "30 2 28 3 ? 2027", TimeZone: "Europe/Berlin"}, time.Date(2027, 3, 28, 3, 30, 0, 0, berlin)},
	}
	for _, tt := range tests {
		got, err := tt.s.Next(at, at)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s in %s: %v %v, want %v", tt.s.Expression(), tt.s.TimeZone, got, err, tt.want)
		}
	}
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if got, _ := (Schedule{Rate: "6 hours", TimeZone: "UTC"}).Next(at, start); !got.Equal(time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("rate: %v", got)
	}
	for _, bad := range []string{"0 2 * * * *", "0 2 ? * ? *", "0 2 L * ? *", "0 2 ? * 6#3 *", "61 2 * * ? *"} {
		if _, err := (Schedule{Cron: bad, TimeZone: "UTC"}).Next(at, at); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
