// Package akamai is the source adapter for Akamai Identity Cloud Webhooks
// v3: a Parser that verifies the compact JWS Security Event Token (RFC 8417)
// Akamai posts, against keys from the customer's JWKS, and decodes its
// events claim; and a Fetcher that reads the user record from the Capture
// Entity API (POST /entity), since the events carry only ids.
//
// Verification pins everything it can: alg must be RS256 and typ
// secevent+jwt; keys come only from the configured jwks_url (a jku in the
// token is ignored); iss must equal the configured issuer and aud must
// contain the configured audience. There is no freshness window: Akamai
// retries for more than 24 h and redelivers for 7 days, so dedupe on
// Event.ID is what stops replays.
//
// A JWKS that cannot be fetched is neither the sender's fault nor proof of
// forgery: Parse then returns a fault.Error (Transient) wrapping neither
// source sentinel, so the ingress answers 5xx and Akamai retries. Keys
// that every refresh has failed to renew for 24 h fail the same way (the
// error says the keys are stale) rather than verify forever. jwks_url must
// be https unless the egress policy allows http for its host (pkg/egress;
// the local sandbox and tests use egress.Local).
//
// Assumed, UNCONFIRMED (shared/research/ciam-sources.md §2):
//   - entityCreated / entityDeleted carry the same fields as entityUpdated
//     minus attributes; other event types (test, userCredentialUpdated, new
//     ones) and entities whose entityType differs from type_name yield no
//     events.
//   - Capture error codes beyond 310 record_not_found: 1xx–3xx are request
//     problems (permanent), 4xx credential problems (auth), 5xx internal
//     (transient). Capture reports them with HTTP 200 and stat "error".
//   - Record attributes: uuid, email, emailVerified (timestamp or null),
//     givenName, middleName, familyName, displayName, birthday, gender,
//     mobileNumber / phoneNumber, primaryAddress, consents{<purpose>:
//     {granted, updated}}, lastUpdated; everything else but system and
//     credential attributes goes to Profile.Custom.
package akamai
