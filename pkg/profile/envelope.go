package profile

import (
	"encoding/json"
	"fmt"
)

// EnvelopeVersion is the queue message format this build writes. Readers
// accept every version they know and reject the rest, so a message from a
// newer build lands in the DLQ with a clear reason instead of being misread.
const EnvelopeVersion = 1

// StoredVersion is the format of an envelope whose full body was stored
// aside because it would not fit a queue message: an older reader cannot
// follow the pointer, so it must refuse the message rather than take it
// for a thin event.
const StoredVersion = 2

// MaxMessage is the largest queue message, body and attributes counted as
// SQS counts them: SQS's classic 256 KiB, which holds for every queue.
const MaxMessage = 256 << 10

// Envelope is the body of every queue message: one event for one target.
type Envelope struct {
	Version int    `json:"v"`
	Target  string `json:"target"`
	Event   Event  `json:"event"`
	// Stored, at StoredVersion, is the key under which the full envelope
	// was stored aside; Event is then its copy without the profile, for
	// logs, the DLQ and routing.
	Stored string `json:"stored,omitempty"`
}

// Pointer is the StoredVersion envelope that stands in the queue for env,
// stored aside under key.
func (env Envelope) Pointer(key string) Envelope {
	e := env.Event
	e.Profile = nil
	return Envelope{Version: StoredVersion, Target: env.Target, Event: e, Stored: key}
}

// NewEnvelope wraps e for target at the current version.
func NewEnvelope(target string, e Event) Envelope {
	return Envelope{Version: EnvelopeVersion, Target: target, Event: e}
}

// Marshal encodes the envelope for a queue message body.
func (env Envelope) Marshal() ([]byte, error) {
	return json.Marshal(env)
}

// UnmarshalEnvelope decodes and checks a queue message body.
func UnmarshalEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	switch {
	case env.Version == EnvelopeVersion && env.Stored == "":
	case env.Version == StoredVersion && env.Stored != "":
	case env.Version == EnvelopeVersion || env.Version == StoredVersion:
		return Envelope{}, fmt.Errorf("envelope version %d with stored %q", env.Version, env.Stored)
	default:
		return Envelope{}, fmt.Errorf("envelope version %d not supported (want %d or %d)", env.Version, EnvelopeVersion, StoredVersion)
	}
	if env.Target == "" {
		return Envelope{}, fmt.Errorf("envelope has no target")
	}
	if err := env.Event.Validate(); err != nil {
		return Envelope{}, fmt.Errorf("envelope event: %w", err)
	}
	return env, nil
}
