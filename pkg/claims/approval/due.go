package approval

import "time"

// Due says what a pending approval needs at now: a reminder (every after
// the request or the last reminder, whichever is later; every ≤ 0 means
// never), or expiry (expiresAfter after the request; ≤ 0 means never). An
// expired approval gets no reminder. lastReminded is the zero time when no
// reminder was sent.
func Due(requested, lastReminded time.Time, every, expiresAfter time.Duration, now time.Time) (remind, expired bool) {
	if expiresAfter > 0 && !now.Before(requested.Add(expiresAfter)) {
		return false, true
	}
	if every <= 0 {
		return false, false
	}
	last := requested
	if lastReminded.After(last) {
		last = lastReminded
	}
	return !now.Before(last.Add(every)), false
}
