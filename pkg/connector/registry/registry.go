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
)

// Kind is one kind of target.
type Kind struct {
	// CheckSettings validates a mapping's settings for this kind; errors
	// name the offending field.
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

// kinds is the registry. Adding a target is one entry here.
var kinds = map[string]Kind{
	"braze":       batching(braze.CheckSettings, braze.Build, braze.MaxTrackBatch),
	"brevo":       kind(brevo.CheckSettings, brevo.Build),
	"eventbridge": batching(eventbridge.CheckSettings, eventbridge.Build, eventbridge.MaxBatch),
	"generic":     kind(generic.CheckSettings, generic.Build),
	"hubspot":     batching(hubspot.CheckSettings, hubspot.Build, hubspot.MaxBatch),
	"ldap":        kind(ldap.CheckSettings, ldap.Build),
	"mailchimp":   kind(mailchimp.CheckSettings, mailchimp.Build),
	"salesforce":  batching(salesforce.CheckSettings, salesforce.Build, salesforce.MaxBatch),
	"scim":        kind(scim.CheckSettings, scim.Build),
	"zuora":       kind(zuora.CheckSettings, zuora.Build),
}

// Every connector satisfies the port.
var (
	_ connector.Connector   = (*salesforce.Client)(nil)
	_ connector.Connector   = (*generic.Client)(nil)
	_ connector.Batcher     = (*salesforce.Client)(nil)
	_ connector.Batcher     = (*eventbridge.Client)(nil)
	_ connector.Batcher     = (*hubspot.Client)(nil)
	_ connector.Batcher     = (*braze.Client)(nil)
	_ connector.Connector   = (*brevo.Client)(nil)
	_ connector.Connector   = (*mailchimp.Client)(nil)
	_ connector.Connector   = (*zuora.Client)(nil)
	_ connector.Connector   = (*scim.Client)(nil)
	_ connector.Connector   = (*ldap.Client)(nil)
	_ connector.OptOuter    = (*hubspot.Client)(nil)
	_ connector.OptOuter    = (*brevo.Client)(nil)
	_ connector.OptOuter    = (*mailchimp.Client)(nil)
	_ connector.OptOuter    = (*braze.Client)(nil)
	_ connector.Deactivator = (*scim.Client)(nil)
	_ connector.Deactivator = (*ldap.Client)(nil)
)

// kind makes the entry of a connector package from its CheckSettings and
// Build; New returns a nil interface (never a typed nil pointer inside
// one) when Build fails.
func kind[C connector.Connector](check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (C, error)) Kind {
	return Kind{CheckSettings: check, New: func(name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
		c, err := build(name, settings, secret, hc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}}
}

// batching is kind for a connector.Batcher taking maxBatch records per call.
func batching[C connector.Batcher](check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (C, error), maxBatch int) Kind {
	k := kind(check, build)
	k.MaxBatch = maxBatch
	return k
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
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
