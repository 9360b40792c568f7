package ingress

import "sync/atomic"

// Counters count what the handler corrected or worked around on the way
// to the queue. Each count has a WARN log line beside it, which is what an
// operator reads on AWS; the numbers serve tests and the local stack. The
// zero value is ready.
type Counters struct {
	// ClockClamped counts events whose time ran more than
	// profile.ClockTolerance ahead of receipt, queued at the receipt time.
	ClockClamped atomic.Int64
	// Thinned counts envelopes over the queue limit queued without their
	// profile snapshot, for the sync function to fetch.
	Thinned atomic.Int64
	// StoredAside counts envelopes over the queue limit stored in the
	// BodyStore, a pointer queued in their place.
	StoredAside atomic.Int64
	// ArchiveFailed counts webhook requests whose accepted events the
	// Archive refused (logged as errors; the events were queued).
	ArchiveFailed atomic.Int64
}
