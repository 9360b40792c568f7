// Package scim is the generic SCIM 2.0 source (kind "scim"): for any CIAM
// whose users are SCIM resources (RFC 7643/7644) and whose notifications
// are JSON web hooks. It is two halves:
//
//   - the notification side is the generic web hook source's
//     (pkg/source/webhook): API key, Basic or HMAC authentication and JSON
//     paths for subject, type, time and id, configured with the same keys
//     in the same secret. SCIM itself defines no notifications, so nothing
//     here is SCIM-specific;
//   - the admin side is SCIM's /Users endpoint under base_url, with a
//     bearer token: Fetch (GET /Users/{id}), Update (PATCH with a PatchOp
//     on the attributes of one configured extension schema) and List
//     (GET /Users?startIndex&count, for backfills).
//
// Fetch maps the core User schema onto the canonical profile (mapping in
// user.go) and puts two things in profile.Custom: the attributes of the
// configured extension at its top level (the write-back attributes, so
// Update's keys and Fetch's Custom keys are the same names) and the
// enterprise extension's under "enterprise". Custom also carries the
// core "active" flag as "active" whenever the CIAM sends it: a disabled
// account is a fact a back-end may act on and has no OIDC claim. Both
// names are reserved: an extension attribute called "active" or
// "enterprise" is not returned, and Update refuses to write one.
//
// What it does not do: groups, filters other than paging, ETags (no
// If-Match on PATCH: a concurrent admin change to the same attribute
// loses), OAuth token acquisition (the token is static), and SCIM bulk.
package scim
