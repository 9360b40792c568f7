package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/profilesync/profilesync/pkg/profile"
)

// ErrUnavailable marks a failure the CIAM should retry (503), as opposed
// to bad input (400).
var ErrUnavailable = errors.New("unavailable")

// message encodes env as a queue message. A genuine event must not be lost
// to size: an envelope over the queue limit goes thin when its source's
// profile can be fetched at delivery, else into the BodyStore with a
// pointer queued in its place. body is env's encoding. bare says the
// queued message does not carry the profile: the archive keeps the event
// as the queue has it.
func (h *Handler) message(ctx context.Context, log *slog.Logger, env profile.Envelope, body []byte) (m Message, bare bool, err error) {
	m = messageOf(env, body)
	if m.size() <= profile.MaxMessage {
		return m, false, nil
	}
	e := env.Event
	log = log.With("event_id", e.ID, "target", env.Target, "envelope_bytes", len(m.Body))
	if h.Fetchable[e.Source] && e.Profile != nil {
		thin := env
		thin.Event.Profile = nil
		if t, err := encode(thin); err == nil && t.size() <= profile.MaxMessage {
			h.Counts.Thinned.Add(1)
			log.Warn("envelope over the queue limit; queued without its profile, which the sync function fetches")
			return t, true, nil
		}
	}
	if h.Bodies == nil {
		return Message{}, false, fmt.Errorf("envelope of %d bytes over the queue limit and no body store: %w", len(m.Body), ErrUnavailable)
	}
	sum := sha256.Sum256(m.Body)
	key := env.Target + "/" + hex.EncodeToString(sum[:])
	if err := h.Bodies.Put(ctx, key, m.Body); err != nil {
		return Message{}, false, fmt.Errorf("store envelope of %d bytes: %w: %w", len(m.Body), ErrUnavailable, err)
	}
	p, err := encode(env.Pointer(key))
	if err != nil {
		return Message{}, false, err
	}
	h.Counts.StoredAside.Add(1)
	log.Warn("envelope over the queue limit; stored aside, a pointer queued", "stored", key)
	return p, true, nil
}

func encode(env profile.Envelope) (Message, error) {
	body, err := env.Marshal()
	if err != nil {
		return Message{}, err
	}
	return messageOf(env, body), nil
}

// messageOf is env's queue message with body, its encoding.
func messageOf(env profile.Envelope, body []byte) Message {
	e := env.Event
	return Message{Body: body, Attributes: map[string]string{
		"event_id": e.ID, "event_type": string(e.Type), "source": e.Source,
	}}
}
