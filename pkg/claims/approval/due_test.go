package approval_test

import (
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims/approval"
)

func TestDue(t *testing.T) {
	const day = 24 * time.Hour
	var never time.Time
	for _, tc := range []struct {
		name          string
		lastReminded  time.Time
		every, expire time.Duration
		at            time.Duration // after the request
		remind, exp   bool
	}{
		{"fresh", never, day, 7 * day, time.Hour, false, false},
		{"first reminder due", never, day, 7 * day, day, true, false},
		{"reminded recently", t0.Add(day), day, 7 * day, day + time.Hour, false, false},
		{"next reminder due", t0.Add(day), day, 7 * day, 2 * day, true, false},
		{"reminder before the request ignored", t0.Add(-day), day, 7 * day, day, true, false},
		{"expired", t0.Add(6 * day), day, 7 * day, 7 * day, false, true},
		{"long expired, no reminder", never, day, 7 * day, 30 * day, false, true},
		{"no reminders", never, 0, 7 * day, 3 * day, false, false},
		{"never expires", never, day, 0, 365 * day, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remind, exp := approval.Due(t0, tc.lastReminded, tc.every, tc.expire, t0.Add(tc.at))
			if remind != tc.remind || exp != tc.exp {
				t.Errorf("Due = remind %v expired %v, want %v %v", remind, exp, tc.remind, tc.exp)
			}
		})
	}
}
