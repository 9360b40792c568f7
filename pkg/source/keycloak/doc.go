// Package keycloak is the source adapter for Keycloak with phasetwo's
// keycloak-events extension (the ext-event-webhook listener), the usual way
// Keycloak sends webhooks. The Parser verifies X-Keycloak-Signature (lowercase
// hex HMAC-SHA256, or HMAC-SHA1 when so configured, of the raw body with the
// webhook secret) in constant time and decodes the user events into thin
// profile.Events; the Fetcher reads the user from the Admin REST API
// (GET /admin/realms/{realm}/users/{id}) with a client-credentials token from
// the realm's token endpoint.
//
// Events: admin.USER-CREATE / USER-UPDATE / USER-DELETE (the subject from
// details.userId or resourcePath users/{id}) and access.REGISTER →
// created, access.UPDATE_PROFILE / UPDATE_EMAIL / VERIFY_EMAIL → updated,
// access.DELETE_ACCOUNT → deleted (the subject is authDetails.userId).
// Logins, logouts, errors, token and credential events and other admin
// resources are authentic but yield no events.
//
// Every event is thin, even an admin event with a representation: the
// representation is the request the admin sent (a partial update may
// carry one field), not the stored user, so the sync function fetches.
// The dedupe key is the payload's uid (UNCONFIRMED that phasetwo keeps it
// across retries; it retries the same serialized body, so it should);
// without one, a hash of the body.
//
// Not handled: the newer bearer-JWT mode (authType bearer) — a delivery
// without X-Keycloak-Signature fails closed. There is no timestamp in the
// HMAC scheme, so a captured delivery can be replayed; the state store
// makes a replay a no-op, and TLS keeps it from being captured.
package keycloak
