// Package mapping loads the declarative mapping files in mappings/ — one per
// target instance — and applies them: which events a target receives, which
// subjects are in scope, what a revoked consent or a delete becomes, and
// how a canonical profile becomes that target's record (paths, expressions,
// transforms, lookups, defaults).
//
// A mapping is validated when it loads; every problem names the file, the
// line, the column and the field, so a typo fails `profilesync validate`,
// not a 3 a.m. sync. Expressions are expr-lang/expr programs type-checked
// against env, a mirror of profile.Profile (README: "Expressions: why
// expr").
//
// Overrides follow the seed systems' "customer > environment > client ID"
// model: the file's top level is the customer default; an entry under
// `environments` overrides it for events of that environment; an entry under
// `clients` overrides the result for events of that client ID. Each level
// replaces events, sources, scope, consent and on_delete wholesale when it
// sets them, and merges fields and constants key by key (a key set to null
// removes it). Every combination is built when the file loads.
//
// Files: file.go (loading), diag.go (problems), rules.go (levels and
// merging), value.go and transform.go (field values), expr.go, env.go and
// path.go (reading the profile), decide.go (scope, consent, delete policy),
// record.go. This package sends nothing: the delivery handler calls Decide
// and the connector.
package mapping
