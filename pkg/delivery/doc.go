// Package delivery is the sync function: it consumes one target's queue
// batch, completes thin events by fetching the profile, applies the
// target's mapping, calls the connector, and reports only the failed
// messages back (SQS partial batch responses) so they are retried and,
// once their receive count is spent, dead-lettered by the queue's
// RedrivePolicy.
//
// Per (target, subject) state — the last applied event time, a hash of the
// last record pushed, a tombstone after a delete — makes duplicates and
// reordering harmless and skips calls that would change nothing.
//
// Every message's decision goes to a Journal once per batch: the
// per-record sync log, whose Entry carries the field diff against the last
// record pushed (fields.go: keyed fingerprints in State.Fields, values
// hashed, masked or plain as the mapping's log block says), and from whose
// delete entries the erasure ledger follows (erasure.go).
package delivery
