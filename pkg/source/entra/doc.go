// Package entra is the source adapter for Microsoft Entra External ID (and
// Entra ID) through Microsoft Graph change notifications on users: a
// Parser for a subscription's notificationUrl, and a Fetcher that reads,
// lists and writes back users through the Graph users API with an
// app-only token (client credentials against
// login.microsoftonline.com/{tenant}/oauth2/v2.0/token, scope
// https://graph.microsoft.com/.default).
//
// The Parser answers Graph's validation request (POST ?validationToken=…)
// with the URL-decoded token as text/plain and 200 (source.Handshaker),
// and answers notifications with 202 Accepted (source.Answerer). Graph
// signs nothing in a basic notification: each notification's clientState
// is compared in constant time with the configured values (two during a
// renewal), and one missing or wrong clientState refuses the whole batch.
//
// A notification is thin: resource Users/{id} and changeType created,
// updated or deleted become events of the same type for that user; the
// sync fetches GET /v1.0/users/{id}?$select=…. Graph sends no event time
// (OccurredAt is the arrival) and, for users, no notification id: the
// dedupe key hashes subscriptionId, resource, changeType and the minute
// of arrival (or the id when one comes). Lifecycle notifications
// (reauthorizationRequired, subscriptionRemoved, missed) are
// authenticated the same way, logged and yield nothing: renewing the
// subscription is its owner's job, not this adapter's.
//
// Deletion: Entra deletes a user softly first (to deletedItems, restorable
// for 30 days), and Graph announces that as "updated"; the user then reads
// 404, so the sync skips the event as gone at the source, and the target
// keeps its record until the permanent deletion's "deleted". Graph may
// also announce a new user as "updated" (a documented known issue); the
// fetch makes either equivalent.
//
// Not supported: rich notifications (includeResourceData, with
// encryptedContent and validationTokens). Graph does not offer them for
// users, and decrypting them would need the subscription's private key
// here; a batch carrying them is refused as malformed with a message that
// says so. Subscriptions are not created or renewed by ProfileSync.
//
// Custom attributes are the b2c-extensions-app's directory extensions
// (extension_<app id without dashes>_<name>), named in the secret by
// their short names: Fetch returns them in Custom, Update PATCHes them.
package entra
