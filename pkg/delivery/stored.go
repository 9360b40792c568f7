package delivery

import (
	"context"
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// StoredBodies reads back the envelopes the ingress stored aside because
// they would not fit a queue message (pkg/local's file store locally).
type StoredBodies interface {
	// Get returns the body stored under key, or an error wrapping
	// ErrNotStored when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
}

// ErrNotStored is what StoredBodies.Get wraps for a key with no body.
var ErrNotStored = errors.New("no body stored under this key")

// unstore replaces a pointer envelope by the envelope it points to. A
// pointer to nothing, or to another event, is permanent: retrying will not
// make the body appear, and the DLQ keeps the pointer for a person.
func (h *Handler) unstore(ctx context.Context, ptr *profile.Envelope) (*profile.Envelope, error) {
	if h.Stored == nil {
		return ptr, fault.Wrap(fault.Permanent, fmt.Errorf("envelope stored aside under %s, and this function has no body store", ptr.Stored))
	}
	body, err := h.Stored.Get(ctx, ptr.Stored)
	if errors.Is(err, ErrNotStored) {
		return ptr, fault.Wrap(fault.Permanent, fmt.Errorf("read stored envelope %s: %w", ptr.Stored, err))
	}
	if err != nil {
		return ptr, fault.Wrap(fault.Transient, fmt.Errorf("read stored envelope %s: %w", ptr.Stored, err))
	}
	env, err := profile.UnmarshalEnvelope(body)
	if err == nil && (env.Stored != "" || env.Target != ptr.Target || env.Event.ID != ptr.Event.ID || env.Event.Subject != ptr.Event.Subject) {
		err = errors.New("it is not the envelope the pointer names")
	}
	if err != nil {
		return ptr, fault.Wrap(fault.Permanent, fmt.Errorf("stored envelope %s: %w", ptr.Stored, err))
	}
	return &env, nil
}
