// Package registry lists every target kind ProfileSync can deliver to, in
// one explicit map (no init() side effects): how to check a mapping's
// settings when it loads (`profilesync validate`, no secrets at hand) and
// how to build a connector from the settings and the secret at send time.
// The connectors themselves live in the sibling packages.
package registry

import (
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/target"
	"github.com/profilesync/profilesync/pkg/target/braze"
	"github.com/profilesync/profilesync/pkg/target/brevo"
	"github.com/profilesync/profilesync/pkg/target/eventbridge"
	"github.com/profilesync/profilesync/pkg/target/generic"
	"github.com/profilesync/profilesync/pkg/target/hubspot"
	"github.com/profilesync/profilesync/pkg/target/ldap"
	"github.com/profilesync/profilesync/pkg/target/mailchimp"
	"github.com/profilesync/profilesync/pkg/target/salesforce"
	"github.com/profilesync/profilesync/pkg/target/scim"
	"github.com/profilesync/profilesync/pkg/target/zuora"
)

// Kind is one kind of target.
type Kind struct {
	// CheckSettings validates a mapping's settings for this kind; errors
	// name the offending field.
	CheckSettings func(settings map[string]any) error
	// New builds a connector named name from the settings and the secret
	// (JSON); a nil hc gets the kind's default client.
	New func(name string, settings map[string]any, secret []byte, hc *http.Client) (target.Connector, error)
	// MaxBatch is the most records one API call of this kind takes when
	// its connector is a target.Batcher, else 0. The template generator
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
	_ target.Connector   = (*salesforce.Client)(nil)
	_ target.Connector   = (*generic.Client)(nil)
	_ target.Batcher     = (*salesforce.Client)(nil)
	_ target.Batcher     = (*eventbridge.Client)(nil)
	_ target.Batcher     = (*hubspot.Client)(nil)
	_ target.Batcher     = (*braze.Client)(nil)
	_ target.Connector   = (*brevo.Client)(nil)
	_ target.Connector   = (*mailchimp.Client)(nil)
	_ target.Connector   = (*zuora.Client)(nil)
	_ target.Connector   = (*scim.Client)(nil)
	_ target.Connector   = (*ldap.Client)(nil)
	_ target.OptOuter    = (*hubspot.Client)(nil)
	_ target.OptOuter    = (*brevo.Client)(nil)
	_ target.OptOuter    = (*mailchimp.Client)(nil)
	_ target.OptOuter    = (*braze.Client)(nil)
	_ target.Deactivator = (*scim.Client)(nil)
	_ target.Deactivator = (*ldap.Client)(nil)
)

// kind makes the entry of a connector package from its CheckSettings and
// Build; New returns a nil interface (never a typed nil pointer inside
// one) when Build fails.
func kind[C target.Connector](check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (C, error)) Kind {
	return Kind{CheckSettings: check, New: func(name string, settings map[string]any, secret []byte, hc *http.Client) (target.Connector, error) {
		c, err := build(name, settings, secret, hc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}}
}

// batching is kind for a target.Batcher taking maxBatch records per call.
func batching[C target.Batcher](check func(map[string]any) error,
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
