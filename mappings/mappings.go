// Package mappings embeds the deployment's mapping files so each Lambda
// binary carries the mappings it was built with: changing a mapping is a
// rebuild and a deploy, reviewed like code.
package mappings

import "embed"

// FS holds every *.yaml mapping file of this directory, the claim rules
// below claims/ and the scheduled jobs below jobs/.
//
//go:embed *.yaml claims/*.yaml jobs/*.yaml
var FS embed.FS
