package profile

import (
	"errors"
	"fmt"
	"time"
)

// EventType is what happened to a subject, in source-neutral terms.
type EventType string

const (
	Created        EventType = "created"
	Updated        EventType = "updated"
	Deleted        EventType = "deleted"
	ConsentGranted EventType = "consent_granted"
	ConsentRevoked EventType = "consent_revoked"
)

// EventTypes lists every type, in a stable order (used by validation and docs).
var EventTypes = []EventType{Created, Updated, Deleted, ConsentGranted, ConsentRevoked}

// Valid reports whether t is one of EventTypes.
func (t EventType) Valid() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Event is one change to one subject, as a source reported it.
type Event struct {
	// ID is the source's own event id when it has one (the dedupe key); else
	// a stable hash the source adapter derives from the payload.
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Type       EventType `json:"type"`
	Subject    string    `json:"subject"`
	OccurredAt time.Time `json:"occurred_at"`
	ReceivedAt time.Time `json:"received_at"`
	// Environment and ClientID select mapping overrides ("customer >
	// environment > client ID"). Either may be empty.
	Environment string `json:"environment,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
	// Purpose names the consent for consent_granted / consent_revoked.
	Purpose string `json:"purpose,omitempty"`
	// SourceType keeps the source's own event name (e.g. ACCOUNT_MODIFIED)
	// for logs and mappings that need it.
	SourceType string `json:"source_type,omitempty"`
	// Replay marks an event `profilesync replay` queued again from the
	// archive of accepted events: the sync handler delivers it even when
	// its state says the target already holds the record (a record deleted
	// by hand in the target comes back), as it does a reconciliation's
	// repairs. Its SourceType stays the source's, which mappings may test.
	Replay bool `json:"replay,omitempty"`
	// Profile is the snapshot when the source sent one; nil for thin events,
	// which the sync function completes by fetching the profile.
	Profile *Profile `json:"profile,omitempty"`
}

// Validate checks the fields every consumer relies on. It never quotes
// their values, which may be personal data.
func (e Event) Validate() error {
	var errs []error
	if e.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if e.Source == "" {
		errs = append(errs, errors.New("source is empty"))
	}
	if !e.Type.Valid() {
		errs = append(errs, fmt.Errorf("type %q is not one of %v", e.Type, EventTypes))
	}
	if e.Subject == "" {
		errs = append(errs, errors.New("subject is empty"))
	}
	// The id is the dedupe key and the subject the record key: both must
	// be text (see CheckKey).
	for _, err := range [...]error{CheckKey("id", e.ID), CheckKey("subject", e.Subject), CheckKey("purpose", e.Purpose)} {
		if err != nil { // errs stays nil for a valid event: no allocation on the ingress's path
			errs = append(errs, err)
		}
	}
	if e.OccurredAt.IsZero() {
		errs = append(errs, errors.New("occurred_at is zero"))
	}
	if (e.Type == ConsentGranted || e.Type == ConsentRevoked) && e.Purpose == "" {
		errs = append(errs, errors.New("consent event without purpose"))
	}
	if e.Profile != nil && e.Profile.Sub != "" && e.Profile.Sub != e.Subject {
		errs = append(errs, errors.New("profile.sub differs from subject"))
	}
	return errors.Join(errs...)
}

// ClockTolerance is how far ahead of our clock a sender's time may run
// before we stop believing it: an event time or a profile version further
// in the future would outrank every later change of its subject, the
// erasure included, until that date came.
const ClockTolerance = 5 * time.Minute

// ClampFuture sets OccurredAt to ReceivedAt when it runs more than
// ClockTolerance ahead of it, and reports whether it did. Every source's
// events pass here at the ingress, so no per-source parser has to.
func (e *Event) ClampFuture() bool {
	if e.ReceivedAt.IsZero() || !e.OccurredAt.After(e.ReceivedAt.Add(ClockTolerance)) {
		return false
	}
	e.OccurredAt = e.ReceivedAt
	return true
}

// SourceTypeReconcile is the SourceType of the events a reconciliation
// enqueues to repair drift: the sync handler delivers them even when its
// state says the target already holds the record (the plan found it does
// not).
const SourceTypeReconcile = "reconcile"

// SourceTypeOnDemand is the SourceType of an event `profilesync sync`
// enqueues: an operator asked for the subject to be provisioned now, so it
// is delivered even when the state says the target holds the record.
const SourceTypeOnDemand = "on_demand"

// Repairs says whether e was made to bring a target in line with the
// CIAM (a reconciliation's repair, a provision on demand, a replayed
// event) rather than to report a change: the sync handler then delivers it
// even when its state says the target already holds the record.
func (e Event) Repairs() bool {
	return e.SourceType == SourceTypeReconcile || e.SourceType == SourceTypeOnDemand || e.Replay
}
