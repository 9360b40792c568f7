// Package ingress is the webhook front door: it takes an API Gateway HTTP
// API v2 request for POST /webhooks/{source}, has that source verify and
// decode it, routes each event to every target whose mapping subscribes to
// it, and enqueues one Envelope per (event, target).
//
// It answers 2xx only after every enqueue succeeded; any enqueue failure is
// a 5xx so the CIAM resends (the consumers are idempotent). Bad input gets a
// clear status and a small JSON error that leaks no internals, and nothing
// is enqueued. A genuine event is never refused for its envelope's size
// (oversized.go), and an event time far ahead of receipt is held to it
// (profile.Event.ClampFuture). A platform's URL handshake is answered
// without enqueuing: Okta's GET (challenge.go), Microsoft Graph's POST
// ?validationToken= (handshake.go). Every other POST's verdict (accepted,
// rejected or unavailable, with a reason code) goes to an optional Meter:
// the per-source metrics of pkg/metrics. A delete is recorded pending in
// the optional erasure ledger for each of its targets before anything is
// queued, and the request fails (503) when it cannot be (erasure.go).
// Every accepted event is handed
// to the optional Archive after it is queued; Replayer queues archived
// events again for `profilesync replay` (archive.go, replay.go).
package ingress
