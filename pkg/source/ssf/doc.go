// Package ssf is the source adapter for an OpenID Shared Signals Framework
// transmitter pushing Security Event Tokens (RFC 8417) per RFC 8935: the
// body is the compact SET (application/secevent+jwt). The Parser verifies
// it against the transmitter's JWKS (jwks_url only: jku and jwk in the
// token are ignored; RS*, PS*, ES*, cached and rotated by kid as in
// pkg/source/internal/jose), requires typ secevent+jwt, iss equal to the
// configured issuer, aud containing the configured audience, a jti and an
// events claim; with authorization set, the stream's Authorization header
// must match one value (constant time). There is no freshness window: a
// transmitter may resend, and dedupe on jti stops replays.
//
// Answers follow RFC 8935 through source.Answerer: 202 on success; 400
// with {"err": "<code>", "description": "…"} for a SET that is refused
// (invalid_request, invalid_key, invalid_issuer, invalid_audience,
// authentication_failed); a missing or wrong Authorization header is the
// ingress's 401 (an HTTP matter, not the SET's); an unreachable JWKS 503.
//
// Events, by the URI's last segment:
//   - RISC account-purged → deleted;
//   - RISC account-disabled → updated, Profile.Custom["active"] = false
//     (and "disabled_reason" when sent); account-enabled → updated with
//     "active" = true;
//   - RISC identifier-changed → updated; with an email or phone_number
//     subject, the new value in Profile.Email or PhoneNumber;
//   - CAEP credential-change → ignored, unless credential_change is set,
//     then updated with Custom["credential_change"] = the change_type;
//   - SSF verification and stream-updated, and every other event: no events.
//
// SSF has no profile API: updated events carry a partial snapshot, the
// subject and the fields above (Custom["ssf_event"] names the event), and
// no Fetcher is built. Mappings for an SSF source should map only those
// fields (custom.active, custom.ssf_event, email), or the other fields of
// the target's record would be written empty.
//
// The subject is sub_id (SSF 1.0), else the event's own subject (older
// drafts): iss_sub → sub, opaque → id, and with subject_formats naming
// them, email → the address and phone_number → the number. A SET about a
// subject in another format is authentic but yields no events. The dedupe
// key is "<jti>/<event name>".
package ssf
