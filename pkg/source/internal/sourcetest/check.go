// Package sourcetest holds what the source adapters' tests share: the
// invariants every Parse result must keep, which the fuzz tests check on
// whatever input they are given. It is imported by tests only.
package sourcetest

import (
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// CheckParse fails t unless evs and err, returned by the parser of the
// source instance name at now, keep the contract the ingress relies on:
//   - an error is ErrUnauthenticated or ErrMalformed (anything else answers
//     503 and the CIAM would resend the same bytes forever) and comes
//     without events;
//   - every event names the source, carries the request's time and passes
//     Event.Validate: an id or subject that is no key (ErrInvalidKey) is
//     the parser's to refuse as ErrMalformed, not the ingress's to find;
//   - a valid event survives the queue's envelope.
func CheckParse(t *testing.T, name string, now time.Time, evs []profile.Event, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, source.ErrUnauthenticated) && !errors.Is(err, source.ErrMalformed) {
			t.Fatalf("error is neither ErrUnauthenticated nor ErrMalformed: %v", err)
		}
		if evs != nil {
			t.Fatalf("%d events with error %v", len(evs), err)
		}
		return
	}
	for i, e := range evs {
		if e.Source != name || !e.ReceivedAt.Equal(now) {
			t.Fatalf("event %d: source %q received %v, want %q at %v", i, e.Source, e.ReceivedAt, name, now)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("event %d does not validate: %v", i, err)
		}
		b, err := profile.NewEnvelope("target", e).Marshal()
		if err != nil {
			t.Fatalf("event %d: envelope: %v", i, err)
		}
		back, err := profile.UnmarshalEnvelope(b)
		if err != nil {
			t.Fatalf("event %d: envelope does not read back: %v", i, err)
		}
		if back.Event.ID != e.ID || back.Event.Subject != e.Subject || back.Event.Type != e.Type || !back.Event.OccurredAt.Equal(e.OccurredAt) {
			t.Fatalf("event %d: envelope changed it: %+v -> %+v", i, e, back.Event)
		}
	}
}
