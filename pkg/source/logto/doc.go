// Package logto is the source adapter for Logto webhooks. The Parser
// verifies logto-signature-sha-256 (lowercase hex HMAC-SHA256 of the raw
// body, keyed with the webhook's signing key) in constant time and decodes
// PostRegister, User.Created, User.Data.Updated and User.Deleted into
// profile.Events; the Fetcher reads a user from the Management API
// (GET /api/users/{userId}) with a machine-to-machine client-credentials
// token for the Management API resource.
//
// User.Created and User.Data.Updated carry the user entity in data and so
// a snapshot; PostRegister (its user is a summary) and User.Deleted (data
// is null; the id comes from params.userId or the path) are thin. Other
// events (PostSignIn, PostResetPassword, Role.*, Organization.*, …) are
// authentic but yield no events.
//
// Logto sends no event id and no timestamp header: the dedupe key is a
// hash of (event, user id, createdAt), the same on every retry of one
// event; replays cannot be refused by time, and the state store makes
// them no-ops. Logto treats primaryEmail and primaryPhone as verified
// (they are only set after verification), and stores phones without "+".
package logto
