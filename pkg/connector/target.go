// Package connector declares what a back-end connector provides (a
// mapping's `connector:` names one kind) and holds what wraps every
// connector at run time: the credential-refreshing wrapper (refresh.go).
// Back-end messages go through pkg/redact before anyone logs them. One
// package per kind lives below (salesforce, hubspot, ..., generic); the
// registry package lists them and builds one from a mapping's settings and
// its secret; internal/connectorkit holds their shared plumbing.
package connector

import (
	"context"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Record is what a mapping produced for one subject at one target.
type Record struct {
	// Key is the stable id the target upserts on (by default the CIAM subject).
	Key string
	// Fields are the mapped values; nested maps for nested target paths.
	// Nil for a delete.
	Fields map[string]any
	// RecordID is the back-end's own id of the record, as the last
	// delivery to it learnt (the sync state); "" when none is known. A
	// connector that cannot find a record from Key alone may address it
	// by this id (Mailchimp: a delete that carries no e-mail).
	RecordID string
	// Event is the change being applied; connectors read its Type and ID
	// (e.g. to choose a URL template or an idempotency key), not its profile.
	Event profile.Event
}

// Result is what the back-end said about an upsert.
type Result struct {
	ID      string // the back-end's own record id, when it returns one
	Created bool
}

// Connector writes records to one back-end. Errors are fault.Errors
// classified at the connector (unclassified ones count as transient).
// Both operations must be idempotent: a repeated upsert or a delete of a
// record that is already gone succeeds.
type Connector interface {
	Upsert(ctx context.Context, r Record) (Result, error)
	Delete(ctx context.Context, r Record) error
}

// Batcher is a Connector whose API takes many records per call (Salesforce
// sObject Collections, HubSpot batch upsert). The sync handler groups a
// queue batch into calls of at most MaxBatch records and retries only the
// records whose own result failed.
type Batcher interface {
	Connector
	// MaxBatch is the most records one call takes.
	MaxBatch() int
	// UpsertBatch upserts rs in as few calls as the API allows. It returns
	// one result and one error per record, in rs's order: errs[i] is nil
	// when rs[i] succeeded, else a fault.Error classifying that record.
	UpsertBatch(ctx context.Context, rs []Record) (results []Result, errs []error)
}

// OptOuter is a Connector with a consent opt-out of its own (unsubscribe,
// list removal, a status change). A revoked consent calls it instead of an
// update when the mapping asks for the opt-out action.
type OptOuter interface {
	Connector
	OptOut(ctx context.Context, r Record) error
}

// Deactivator is a Connector that can disable a record without deleting it
// (SCIM active:false, a disabled directory account). The mapping's
// "deactivate" policy upserts the fields it names, which covers most
// systems; connectors whose disable is a separate operation expose it here
// (SCIM uses it for deactivate_on_delete).
type Deactivator interface {
	Connector
	Deactivate(ctx context.Context, r Record) error
}
