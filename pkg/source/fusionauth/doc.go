// Package fusionauth is the source adapter for FusionAuth webhooks. The
// Parser verifies X-FusionAuth-Signature-JWT (FusionAuth 1.48+): a JWT
// signed with the webhook's Key Master key — HMAC (HS256/384/512, the key
// shared by hand into hmac_keys) or RSA/EC (RS*, PS*, ES*, the public key
// fetched by kid from the tenant's JWKS, cached as pkg/source/internal/jose
// does) — whose claim request_body_sha256 is the standard base64 of the
// SHA-256 of the raw body. Both the signature and the body hash are
// checked, in constant time; a webhook without the header, with an
// algorithm the config has no key for, or with "none" fails closed. An exp
// claim, when present, is honoured with a 5-minute leeway; iat and exp are
// not required (research §10: UNCONFIRMED whether FusionAuth sends them).
//
// Events (the type, and its *.complete twin fired after commit):
// user.create → created; user.update, user.email.update,
// user.email.verified, user.deactivate, user.reactivate,
// user.registration.create / update / delete / verified → updated;
// user.delete → deleted. Others (logins, password changes, groups…) are
// authentic but yield no events. The dedupe key is event.id, which
// FusionAuth keeps across its retries.
//
// The body carries the whole user, so events carry a snapshot: mappings
// need no fetch. user.create fires before the user is committed, when the
// User API cannot read it yet; the snapshot is what makes it usable. The
// Fetcher (GET /api/user/{userId}, the raw API key in Authorization, and
// X-FusionAuth-TenantId when tenant_id is set) serves re-syncs and
// redrives. A deactivated user keeps "active": false in Profile.Custom.
package fusionauth
