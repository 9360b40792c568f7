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
package delivery
