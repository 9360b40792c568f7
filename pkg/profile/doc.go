// Package profile holds the canonical customer profile and the change event
// every other part of ProfileSync speaks: sources translate CIAM payloads
// into Events, mappings translate Profiles out into back-end records, and
// the queue carries Envelopes between the two.
//
// Nothing here does I/O. Wire formats are fixed by golden tests in
// testdata/: change a JSON tag and a test fails.
package profile
