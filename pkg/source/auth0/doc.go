// Package auth0 is the source adapter for Auth0: a Parser for Log Streams'
// "custom webhook" (a JSON array, JSON lines or one JSON object of tenant
// log records) and for Event Streams' webhook (CloudEvents user.created /
// user.updated / user.deleted), both authenticated by the static
// Authorization header value configured on the stream (constant-time,
// several values side by side during a rotation); and a Fetcher that reads
// the user from the Management API (GET /api/v2/users/{id}) with a cached
// client-credentials token (POST /oauth/token).
//
// Log events kept: ss (signup) → created; sapi (Management API) on
// /api/v2/users or /api/v2/users/{id} → created (POST), updated
// (PATCH/PUT), deleted (DELETE); sce, scu, scpn, sv (email, username,
// phone changed; email verified) → updated; sdu and the older du →
// deleted. Other codes (logins, failures, password changes) and sapi calls
// on other paths yield nothing. Log records are thin: the sync function
// fetches the user. Event Streams carry the full user, so their created and
// updated events carry a snapshot. Dedupe keys: log_id; the CloudEvent id.
//
// Auth0 signs nothing: the header value, sent verbatim ("Bearer " only if
// it was typed so), is all that authenticates a delivery; use a long random
// value.
package auth0
