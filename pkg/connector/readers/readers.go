// Package readers builds the connectors that have a read side
// (connector.Readable): the targets a reconciliation can read. It lists
// them in one map, like the registry, so that the jobs function links
// these connectors only and not every connector the registry has.
package readers

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/brevo"
	"github.com/profilesync/profilesync/pkg/connector/hubspot"
	"github.com/profilesync/profilesync/pkg/connector/ldap"
	"github.com/profilesync/profilesync/pkg/connector/mailchimp"
	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/connector/scim"
)

var kinds = map[string]func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error){
	brevo.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return brevo.Build(name, settings, secret, hc)
	},
	mailchimp.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return mailchimp.Build(name, settings, secret, hc)
	},
	hubspot.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return hubspot.Build(name, settings, secret, hc)
	},
	ldap.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return ldap.Build(name, settings, secret, hc)
	},
	salesforce.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return salesforce.Build(name, settings, secret, hc)
	},
	scim.Spec.Kind: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		return scim.Build(name, settings, secret, hc)
	},
}

// Kinds lists the connector kinds with a read side, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Build builds the connector of kind for target name when it has a read
// side; the wiring.ConnectorBuilder shape.
func Build(kind, name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
	b, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("connector %q has no read side; reconciliation reads %v", kind, Kinds())
	}
	return b(name, settings, secret, hc)
}
