// Package webhook is the generic JSON web hook source (kind "webhook"): for
// Ory Kratos / Ory Network web hooks and in-house systems that can POST
// JSON but follow no platform's format. The secret says everything a
// platform adapter would know in code:
//
//   - how a hook proves it is authentic: an API key header (name
//     configurable), HTTP Basic auth, or an HMAC-SHA256 over the raw body
//     (hex or base64, an optional required prefix, an optional timestamp
//     header signed with the body and held to a tolerance). Several
//     secrets verify side by side for rotation; keys are compared in
//     constant time; a hook without the proof is refused (fail closed).
//   - where the subject, event type, event time, event id (the dedupe key;
//     a SHA-256 of the body when absent), client id and consent purpose
//     are, as small dotted JSON paths with array indexes (path.go);
//   - which event types are created, updated, deleted, consent_granted or
//     consent_revoked; other types are authentic but yield no events;
//   - where the profile fields are (fields); with them, created and updated
//     events carry the profile. Without them the events are thin, and the
//     Fetcher GETs fetch_url with {subject} (a bearer token optional) and
//     picks fetch_fields out of the answer.
//
// What it does not do: JSONata or templates, wildcards, several events per
// hook, or any platform's signature scheme (those have their own package).
// Kratos sends no signature and no timestamp: a captured hook can be
// replayed; the state store makes a replay a no-op and TLS keeps it from
// being captured.
package webhook
