package ingress

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// ArchivedEvent is one accepted event as the archive keeps it: the
// canonical event the source decoded, independent of any envelope, and
// the targets it was queued for when it came in. `profilesync replay`
// reads it back and routes it again.
type ArchivedEvent struct {
	Event profile.Event `json:"event"`
	// Targets are the queues the event went to (the claim verifier's
	// included); empty when no mapping wanted it.
	Targets []string `json:"targets"`
	// Thinned says the event is kept without the profile it came with:
	// its envelope was too large for the queue and went thin (or was
	// stored aside), so what is archived is what the queue held. A replay
	// has the sync function fetch the profile, which is also the source's
	// current truth; a source without a profile API dead-letters it with
	// that reason.
	Thinned bool `json:"thinned,omitempty"`
}

// Archive keeps the accepted events of one webhook request, for replay:
// an S3 object per request on AWS (awsadapter.S3Archive), an SQLite table
// locally (pkg/local). The events of a call share their receipt time.
type Archive interface {
	Archive(ctx context.Context, evs []ArchivedEvent) error
}

// archive hands the accepted events to the archive. Its failure is an
// error in the logs, not a failed webhook: the queues already hold the
// events, and a resend would duplicate them for the archive's sake.
func (h *Handler) archive(ctx context.Context, log *slog.Logger, evs []ArchivedEvent) {
	if h.Archive == nil || len(evs) == 0 {
		return
	}
	if err := h.Archive.Archive(ctx, evs); err != nil {
		h.Counts.ArchiveFailed.Add(1)
		log.Error("accepted events not archived; they cannot be replayed", "events", len(evs), "error", err.Error())
	}
}

// MemoryArchive is an in-memory Archive for tests. Fail, when set, is
// returned by Archive and nothing is kept.
type MemoryArchive struct {
	mu    sync.Mutex
	calls [][]ArchivedEvent
	Fail  error
}

var _ Archive = (*MemoryArchive)(nil)

// Archive keeps evs as one call.
func (a *MemoryArchive) Archive(_ context.Context, evs []ArchivedEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Fail != nil {
		return a.Fail
	}
	a.calls = append(a.calls, append([]ArchivedEvent(nil), evs...))
	return nil
}

// Calls returns what each Archive call kept, in order.
func (a *MemoryArchive) Calls() [][]ArchivedEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]ArchivedEvent(nil), a.calls...)
}

// Read returns the kept events received in [since, until).
func (a *MemoryArchive) Read(_ context.Context, since, until time.Time) ([]ArchivedEvent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ArchivedEvent
	for _, c := range a.calls {
		for _, e := range c {
			if at := e.Event.ReceivedAt; !at.Before(since) && at.Before(until) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}
