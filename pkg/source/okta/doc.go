// Package okta is the source adapter for Okta Event Hooks: a Parser that
// authenticates a delivery by the static header secret configured on the
// hook (constant-time, several values side by side during a rotation),
// answers the hook's one-time verification GET (source.Challenger), and
// decodes the System Log events of data.events[] into profile.Events; and a
// Fetcher that reads the user from the Users API (GET /api/v1/users/{id}),
// since Okta's events carry only ids, and writes claims back to it. The
// Users API is called with an SSWS API token or, for an API Services app,
// an OAuth 2.0 access token got with client credentials and a
// private_key_jwt assertion (oauth.go; scopes okta.users.read and
// okta.users.manage; cached, replaced once on a 401). DPoP-bound tokens
// are not supported: the app must have DPoP turned off.
//
// Events kept: user.lifecycle.create (created); user.account.update_profile
// and the status changes activate, reactivate, deactivate, suspend,
// unsuspend (updated: the fetched profile carries the status);
// user.lifecycle.delete.initiated and .completed (deleted). Events whose
// outcome is not SUCCESS, logins, password, group and other events yield
// nothing. The dedupe key is each event's uuid; the subject is the id of
// the event's target of type User.
//
// Assumed, UNCONFIRMED (shared/research/ciam-sources.md §6): whether Okta
// sends the auth header on the verification GET. The challenge is answered
// without it; when it is present it must match, so a wrong secret fails
// closed there too.
package okta
