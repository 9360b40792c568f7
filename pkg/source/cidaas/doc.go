// Package cidaas is the source adapter for cidaas webhooks: a Parser that
// authenticates a delivery with the webhook's APIKEY or TOTP scheme and
// decodes its thin JSON body into profile.Events, and a Fetcher that reads
// the subject's current profile from the users API with a cached
// client-credentials token.
//
// cidaas sends no body signature in any auth mode, so authentication rests on
// a shared key (APIKEY) or a one-time code derived from one (TOTP). The
// CIDAAS_OAUTH2 mode is not implemented: a config asking for it is refused.
//
// Assumed, UNCONFIRMED against a real delivery (see
// shared/research/ciam-sources.md §4):
//   - The body shape: eventtype, id, sub (or data.sub), tenant_key,
//     createdTime (RFC 3339, or epoch ms), client_id, and for consent events
//     a consent name in consent_name / consentName (top level or in data).
//     A consent event without a name gets purpose "default".
//   - TOTP parameters: RFC 6238 defaults (SHA-1, 6 digits, 30 s), ±1 step.
//     A code may be replayed inside its 90 s window; nothing here remembers
//     used codes.
//   - The users API: GET {base_url}{user_path} with user_path defaulting to
//     /users-srv/user/{sub}. cidaas's current OpenAPI names the admin read
//     /user-srv/users/{sub}; set user_path if the tenant answers there. The
//     response may be the user object itself or cidaas's usual envelope
//     {"success":true,"status":200,"data":{...}}; both are read. Field names
//     follow the OIDC-style names cidaas documents for userinfo (sub, email,
//     email_verified, given_name, family_name, mobile_number, locale,
//     birthdate, customFields); consents are read leniently if present.
//   - Event names: the table in events.go. Authentic events outside it
//     (logins, logouts, MFA, password changes, groups, anything new) yield
//     no events and no error.
//
// What does not live here: retries and backoff (the delivery layer decides
// from the fault class), dedupe (the ingress keys on Event.ID).
package cidaas
