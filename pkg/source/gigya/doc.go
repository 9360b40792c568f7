// Package gigya is the source adapter for SAP Customer Data Cloud (Gigya)
// webhooks (version 2.0) and its accounts REST API.
//
// A notification is a batch, {"events":[{type,id,timestamp,callId,version,
// apiKey,data:{uid}}…],"nonce","timestamp"}, up to 100 events, thin (the
// UID only). The Parser verifies it on the raw body by the scheme the
// secret names, failing closed:
//
//   - hmac (default): X-Gigya-Sig-Hmac-Sha1, base64 of HMAC-SHA1 of the
//     body keyed with the base64-decoded partner or user-key secret (SAP's
//     own PHP sample); two secrets side by side during a rotation.
//   - jwt: X-Gigya-Sig-JWT, an RS256 JWT verified with the site's public
//     key from accounts.getJWTPublicKey (JWKS form, cached, never a key
//     the token names); its apiKey must be the site's and its body hash
//     the body's. The claims are UNCONFIRMED against a live delivery (the
//     research expects an api key, iat and a body hash): the body hash is
//     read from the "sha256" claim, as hex or base64 of SHA-256.
//
// Events: accountCreated, accountRegistered → created; accountUpdated and
// subscriptionUpdated (UNCONFIRMED name) → updated; accountDeleted →
// deleted. accountLoggedIn and others are authentic but yield no events,
// as do events of another site (a partner secret signs every site of the
// partner). The subject is data.uid, the dedupe key the event id.
//
// The Fetcher completes the thin events with accounts.getAccountInfo, the
// Updater writes claims back into data with accounts.setAccountInfo, and
// the Lister pages accounts.search with a cursor. Gigya answers HTTP 200
// with an errorCode in the body; api.go classifies the codes.
package gigya
