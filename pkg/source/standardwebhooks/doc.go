// Package standardwebhooks is the source adapter for senders that sign with
// the Standard Webhooks scheme (webhook-id / webhook-timestamp /
// webhook-signature) or its Svix original (svix-*), first of all Clerk.
// The Parser verifies the symmetric v1 signature (HMAC-SHA256 over
// "id.timestamp.body", key = base64 after "whsec_") against any configured
// secret, rejects timestamps outside the tolerance either way, and decodes
// Clerk's user.created / user.updated / user.deleted into profile.Events.
// Clerk sends the full User object, so created/updated events carry a
// Profile snapshot and need no fetch.
//
// The optional Fetcher (api_url and api_key set) reads a user from the
// Clerk Backend API, for re-syncs; without them New returns a nil Fetcher.
//
// Not handled: asymmetric v1a (ed25519) signatures are skipped like any
// unknown version, so a sender that only sends v1a fails closed. Clerk's
// private_metadata is not copied into profiles (it is meant for the
// back end that owns it, and may hold secrets).
package standardwebhooks
