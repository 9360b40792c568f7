// Package plugins is what a function that evaluates fields and delivers
// links, and the ingress function must not: the connector registry and
// the E.164 phone normaliser (its metadata table, about 0.4 MB). The
// sync function, the local stack and the CLI pass All to pkg/wiring.
package plugins

import (
	"github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// All is every connector kind and the phone normaliser.
var All = wiring.Plugins{
	Connectors:    registry.Build,
	CheckSettings: registry.CheckSettings,
	Phone:         phone.E164,
}
