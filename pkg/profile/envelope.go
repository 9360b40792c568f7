package profile

import (
	"encoding/json"
	"fmt"
)

// EnvelopeVersion is the queue message format this build writes. Readers
// accept every version they know and reject the rest, so a message from a
// newer build lands in the DLQ with a clear reason instead of being misread.
const EnvelopeVersion = 1

// Envelope is the body of every queue message: one event for one target.
type Envelope struct {
	Version int    `json:"v"`
	Target  string `json:"target"`
	Event   Event  `json:"event"`
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
	if env.Version != EnvelopeVersion {
		return Envelope{}, fmt.Errorf("envelope version %d not supported (want %d)", env.Version, EnvelopeVersion)
	}
	if env.Target == "" {
		return Envelope{}, fmt.Errorf("envelope has no target")
	}
	if err := env.Event.Validate(); err != nil {
		return Envelope{}, fmt.Errorf("envelope event: %w", err)
	}
	return env, nil
}
