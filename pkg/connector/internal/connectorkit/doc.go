// Package connectorkit holds the plumbing every connector shares, and knows
// nothing about any one back-end:
//
//   - call.go: sending one HTTP request with a bounded response read and
//     classified, URL-free transport errors, and the OAuth 2.0 client
//     credentials token request;
//   - token.go: a token cache shared by a Client's goroutines that
//     refreshes once per rejected token.
//
// Decoding a mapping's settings and a secret is not here: each connector
// declares a spec.Component and pkg/spec decodes against it.
//
// What stays in each connector: its headers and auth, its error bodies and
// their classification, its token answer's shape, and when it retries.
package connectorkit
