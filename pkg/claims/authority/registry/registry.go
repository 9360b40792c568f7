// Package registry lists every authority kind a claim rule can name, in
// one explicit map (no init() side effects), the same shape as the
// connector and source registries: how to check a rule's settings when it
// loads (`profilesync validate`, no secrets at hand) and how to build the
// authority from its settings and its secret.
package registry

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/directory"
	"github.com/profilesync/profilesync/pkg/claims/authority/emaildomain"
	"github.com/profilesync/profilesync/pkg/claims/authority/httpcheck"
	"github.com/profilesync/profilesync/pkg/claims/authority/hubspot"
	"github.com/profilesync/profilesync/pkg/claims/authority/npi"
	"github.com/profilesync/profilesync/pkg/claims/authority/salesforce"
	"github.com/profilesync/profilesync/pkg/claims/authority/vies"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is one kind of authority.
type Kind struct {
	// Spec describes the kind's settings (the rule's settings: block)
	// and its secret (JSON, optional for public registries).
	Spec spec.Component
	// CheckSettings validates a rule's settings for this kind; errors are
	// *spec.Error (joined), each naming the offending field by path.
	CheckSettings func(settings map[string]any) error
	// New builds the authority named name from its settings and secret
	// (nil when the rule names none); hc is the egress-checked client.
	New func(name string, settings map[string]any, secret []byte, hc *http.Client) (claims.Authority, error)
}

// kinds is the registry. Adding an authority is one entry here; the
// compile-time check that each is a claims.Authority sits beside it.
var kinds = map[string]Kind{
	emaildomain.Spec.Kind: kind(emaildomain.Spec, emaildomain.CheckSettings, emaildomain.Build),
	httpcheck.Spec.Kind:   kind(httpcheck.Spec, httpcheck.CheckSettings, httpcheck.Build),
	npi.Spec.Kind:         kind(npi.Spec, npi.CheckSettings, npi.Build),
	vies.Spec.Kind:        kind(vies.Spec, vies.CheckSettings, vies.Build),
	directory.Spec.Kind:   kind(directory.Spec, directory.CheckSettings, directory.Build),
	hubspot.Spec.Kind:     kind(hubspot.Spec, hubspot.CheckSettings, hubspot.Build),
	salesforce.Spec.Kind:  kind(salesforce.Spec, salesforce.CheckSettings, salesforce.Build),
}

// kind makes the entry of an authority package from its Spec,
// CheckSettings and Build; New returns a nil interface (never a typed nil
// pointer inside one) when Build fails.
func kind[A claims.Authority](s spec.Component, check func(map[string]any) error,
	build func(string, map[string]any, []byte, *http.Client) (A, error)) Kind {
	return Kind{Spec: s, CheckSettings: check, New: func(name string, settings map[string]any, secret []byte, hc *http.Client) (claims.Authority, error) {
		a, err := build(name, settings, secret, hc)
		if err != nil {
			return nil, err
		}
		return a, nil
	}}
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Names lists the kinds, sorted.
func Names() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Specs lists every kind's Spec, sorted by kind.
func Specs() []spec.Component {
	out := make([]spec.Component, 0, len(kinds))
	for _, n := range Names() {
		out = append(out, kinds[n].Spec)
	}
	return out
}

// CheckSettings validates settings for kind; an unknown kind is an error
// naming the known ones.
func CheckSettings(kind string, settings map[string]any) error {
	k, ok := kinds[kind]
	if !ok {
		return fmt.Errorf("unknown authority kind %q, want one of %v", kind, Names())
	}
	return k.CheckSettings(settings)
}

// Build builds the authority name of kind.
func Build(kind, name string, settings map[string]any, secret []byte, hc *http.Client) (claims.Authority, error) {
	k, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("authority %s: unknown kind %q, want one of %v", name, kind, Names())
	}
	a, err := k.New(name, settings, secret, hc)
	if err != nil {
		return nil, fmt.Errorf("authority %s: %w", name, err)
	}
	return a, nil
}
