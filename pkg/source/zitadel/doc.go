// Package zitadel is the source adapter for ZITADEL Actions v2: a Target
// (type REST webhook or REST async, payload type JSON) bound by an event
// Execution to the user events. The Parser verifies the ZITADEL-Signature
// header (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">; several v1 during
// a key rotation) in constant time with a 300 s tolerance either way, and
// decodes the event into a thin profile.Event; the Fetcher reads the user
// from the User Service v2 (GET /v2/users/{userId}) with a service user's
// personal access token.
//
// Events: user.human.added, user.human.selfregistered → created; the
// user.human.profile / email / phone / address changes and verifications
// and user.username.changed → updated; user.removed → deleted. Other
// events (logins, machine users, organizations…) are authentic but yield
// no events. The subject is aggregateID; the dedupe key is
// "<aggregateID>:<sequence>", which ZITADEL's eventstore makes unique.
//
// Every event is thin: the contents of event_payload are UNCONFIRMED (an
// older release sent it empty) and a change event carries only the
// changed fields. The event names beyond user.human.added are
// UNCONFIRMED against a live instance (they are the eventstore's names).
//
// Not handled: the JWT and JWE payload types (a body without the
// signature header fails closed).
package zitadel
