package profile

import (
	"encoding/json"
	"fmt"
	"time"
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

// MarshalFor encodes e's envelope for each of targets, encoding the event
// once: the bodies are byte for byte what NewEnvelope(target, e).Marshal()
// writes, at a fraction of the cost when an event goes to several targets.
func MarshalFor(e Event, targets []string) ([][]byte, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	// The first target's envelope is written around the event in one
	// buffer; the others copy the event from it.
	first := appendEnvelopeHead(make([]byte, 0, len(`{"v":,"target":"","event":}`)+8+len(targets[0])+eventSize(&e)), targets[0])
	head := len(first)
	first, err := appendEvent(first, &e)
	if err != nil {
		// encoding/json refuses it too: its error says why in its words.
		ev, err := json.Marshal(wireOf(e))
		if err != nil {
			return nil, err
		}
		first = append(appendEnvelopeHead(nil, targets[0]), ev...)
	}
	ev := first[head:]
	out := make([][]byte, len(targets))
	out[0] = append(first, '}')
	for i, t := range targets[1:] {
		b := appendEnvelopeHead(make([]byte, 0, len(`{"v":,"target":"","event":}`)+1+len(t)+len(ev)), t)
		out[i+1] = append(append(b, ev...), '}')
	}
	return out, nil
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

// eventWire is Event as MarshalFor encodes it: the same fields, names and
// tags (a test holds them equal), with the times as wireTime, which
// encoding/json writes through MarshalText, without the validating
// re-scan it gives a MarshalJSON result. The bytes are the same.
type eventWire struct {
	ID          string    `json:"id"`
	Source      string    `json:"source"`
	Type        EventType `json:"type"`
	Subject     string    `json:"subject"`
	OccurredAt  wireTime  `json:"occurred_at"`
	ReceivedAt  wireTime  `json:"received_at"`
	Environment string    `json:"environment,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	Purpose     string    `json:"purpose,omitempty"`
	SourceType  string    `json:"source_type,omitempty"`
	Replay      bool      `json:"replay,omitempty"`
	Profile     *Profile  `json:"profile,omitempty"`
}

func wireOf(e Event) eventWire {
	return eventWire{ID: e.ID, Source: e.Source, Type: e.Type, Subject: e.Subject,
		OccurredAt: wireTime(e.OccurredAt), ReceivedAt: wireTime(e.ReceivedAt), Environment: e.Environment,
		ClientID: e.ClientID, Purpose: e.Purpose, SourceType: e.SourceType, Replay: e.Replay, Profile: e.Profile}
}

// wireTime is a time.Time written as time.Time's MarshalJSON writes it
// (RFC 3339 with nanoseconds, quoted).
type wireTime time.Time

func (t wireTime) MarshalText() ([]byte, error) { return time.Time(t).MarshalText() }
