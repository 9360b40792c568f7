// Package registry lists every target kind ProfileSync can deliver to, in
// one explicit map (no init() side effects): how to check a mapping's
// settings when it loads (`profilesync validate`, no secrets at hand) and
// how to build a connector from the settings and the secret at send time.
// The connectors themselves live in the sibling packages.
package registry

import (
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/braze"
	"github.com/profilesync/profilesync/pkg/connector/brevo"
	"github.com/profilesync/profilesync/pkg/connector/eventbridge"
	"github.com/profilesync/profilesync/pkg/connector/generic"
	"github.com/profilesync/profilesync/pkg/connector/hubspot"
	"github.com/profilesync/profilesync/pkg/connector/ldap"
	"github.com/profilesync/profilesync/pkg/connector/mailchimp"
	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/connector/scim"
	"github.com/profilesync/profilesync/pkg/connector/zuora"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is one kind of target.
type Kind struct {
	// Spec describes the kind's settings and secret: the mapping schema
	// and the README tables are generated from it.
	Spec spec.Component
	// CheckSettings validates a mapping's settings for this kind; errors
	// are *spec.Error (joined), each naming the offending field by path.
	CheckSettings func(settings map[string]any) error
	// New builds a connector named name from the settings and the secret
	// (JSON); a nil hc gets the kind's default client.
	New func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error)
	// MaxBatch is the most records one API call of this kind takes when
	// its connector is a connector.Batcher, else 0. The template generator
	// sizes the sync function's queue batches from it without building a
	// connector (that needs the secret); a test keeps it equal to what the
	// built connector reports.
	MaxBatch int
}

// kinds is the registry. Adding a target is one entry here; the
// compile-time checks that each Client is a connector.Connector (and a
// Batcher, OptOuter or Deactivator) sit beside each Client.
var kinds = map[string]Kind{
	braze.Spec.Kind:       batching(braze.Spec, braze.CheckSettings, braze.Build, braze.MaxTrackBatch),
	brevo.Spec.Kind:       kind(brevo.Spec, brevo.CheckSettings, brevo.Build),
	eventbridge.Spec.Kind: batching(eventbridge.Spec, eventbridge.CheckSettings, eventbridge.Build, eventbridge.MaxBatch),
	generic.Spec.Kind:     kind(generic.Spec, generic.CheckSettings, generic.Build),
	hubspot.Spec.Kind:     batching(hubspot.Spec, hubspot.CheckSettings, hubspot.Build, hubspot.MaxBatch),
	ldap.Spec.Kind:        kind(ldap.Spec, ldap.CheckSettings, ldap.Build),
	mailchimp.Spec.Kind:   kind(mailchimp.Spec, mailchimp.CheckSettings, mailchimp.Build),
	salesforce.Spec.Kind:  batching(salesforce.Spec, salesforce.CheckSettings, salesforce.Build, salesforce.MaxBatch),
	scim.Spec.Kind:        kind(scim.Spec, scim.CheckSettings, scim.Build),
	zuora.Spec.Kind:       kind(zuora.Spec, zuora.CheckSettings, zuora.Build),
}

// kind makes the entry of a connector package from its Spec,
// CheckSettings and Build; New returns a nil interface (never a typed nil
// pointer inside one) when Build fails.
func kind[C connector.Connector](s spec.Component, check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (C, error)) Kind {
	return Kind{Spec: s, CheckSettings: check, New: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		c, err := build(name, settings, secret, hc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}}
}

// batching is kind for a connector.Batcher taking maxBatch records per call.
func batching[C connector.Batcher](s spec.Component, check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (C, error), maxBatch int) Kind {
	k := kind(s, check, build)
	k.MaxBatch = maxBatch
	return k
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Specs lists every kind's Spec, sorted by kind.
func Specs() []spec.Component {
	out := make([]spec.Component, 0, len(kinds))
	for _, n := range Names() {
		out = append(out, kinds[n].Spec)
	}
	return out
}

// Names lists the kinds, sorted.
func Names() []string {
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
