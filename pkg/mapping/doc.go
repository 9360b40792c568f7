// Package mapping loads the declarative mapping files in mappings/ — one per
// target instance — and applies them: which events a target receives, and
// how a canonical profile becomes that target's record.
//
// A mapping is validated when it loads; every error names the file, the line
// and the field, so a typo fails `profilesync validate`, not a 3 a.m. sync.
//
// Overrides follow the seed systems' "customer > environment > client ID"
// model: the file's top level is the customer default; an entry under
// `environments` overrides it for events of that environment; an entry under
// `clients` overrides the result for events of that client ID. Each level
// replaces `events` and `sources` wholesale when it sets them, and merges
// `fields` and `constants` key by key (a key set to null removes it).
package mapping
