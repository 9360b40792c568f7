// Package registry lists every source adapter in one explicit map and builds
// a source's Parser and Fetcher from its JSON config (the source's secret),
// dispatching on the config's "kind". Adding a platform means one line in
// kinds; nothing registers itself from init().
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"sync"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/akamai"
	"github.com/profilesync/profilesync/pkg/source/auth0"
	"github.com/profilesync/profilesync/pkg/source/cidaas"
	"github.com/profilesync/profilesync/pkg/source/cognito"
	"github.com/profilesync/profilesync/pkg/source/entra"
	"github.com/profilesync/profilesync/pkg/source/fusionauth"
	"github.com/profilesync/profilesync/pkg/source/gigya"
	"github.com/profilesync/profilesync/pkg/source/keycloak"
	"github.com/profilesync/profilesync/pkg/source/logto"
	"github.com/profilesync/profilesync/pkg/source/okta"
	"github.com/profilesync/profilesync/pkg/source/scim"
	"github.com/profilesync/profilesync/pkg/source/ssf"
	"github.com/profilesync/profilesync/pkg/source/standardwebhooks"
	"github.com/profilesync/profilesync/pkg/source/webhook"
	"github.com/profilesync/profilesync/pkg/source/zitadel"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is one source platform: its secret's Spec and how to build its
// adapters from that secret, the same shape as a connector kind.
type Kind struct {
	Spec spec.Component
	// New builds the Parser and the Fetcher (nil when the platform has no
	// fetch API configured) of the source called name from its secret.
	New func(name string, secret []byte, hc *http.Client) (source.Parser, source.Fetcher, error)
	// lists: the platform's fetcher is a source.Lister (tests check
	// that listing holds exactly these).
	lists bool
}

// listing are the platforms whose fetchers list every profile
// (source.Lister): jobs read from them, and the jobs
// function builds only these (BuildListers). Built by a function rather
// than kept in a package variable, whose initialiser would link every
// adapter into every binary that imports this package: the jobs
// function links only these and is 0.3 MB smaller for it.
func listing() map[string]Kind {
	return map[string]Kind{
		cidaas.Kind: kind(cidaas.Spec, cidaas.ParseConfig, func(name string, cfg cidaas.Config, hc *http.Client) (*cidaas.Parser, *cidaas.Fetcher, error) {
			return cidaas.New(name, cfg, hc) // without options: the defaults
		}),
		akamai.Kind:           kind(akamai.Spec, akamai.ParseConfig, akamai.New),
		standardwebhooks.Kind: kind(standardwebhooks.Spec, standardwebhooks.ParseConfig, standardwebhooks.New),
		scim.Kind:             kind(scim.Spec, scim.ParseConfig, scim.New),
		entra.Kind:            kind(entra.Spec, entra.ParseConfig, entra.New),
		gigya.Kind:            kind(gigya.Spec, gigya.ParseConfig, gigya.New),
		cognito.Kind:          kind(cognito.Spec, cognito.ParseConfig, cognito.New),
	}
}

// kinds is the registry: the listing platforms and the others. Adding a
// platform is one entry here, or in listing if its fetcher lists.
func kinds() map[string]Kind {
	kindsOnce.Do(func() { kindsMap = allKinds() })
	return kindsMap
}

var (
	kindsOnce sync.Once
	kindsMap  map[string]Kind
)

func allKinds() map[string]Kind {
	m := listing()
	maps.Copy(m, map[string]Kind{
		okta.Kind:       kind(okta.Spec, okta.ParseConfig, okta.New),
		auth0.Kind:      kind(auth0.Spec, auth0.ParseConfig, auth0.New),
		keycloak.Kind:   kind(keycloak.Spec, keycloak.ParseConfig, keycloak.New),
		zitadel.Kind:    kind(zitadel.Spec, zitadel.ParseConfig, zitadel.New),
		logto.Kind:      kind(logto.Spec, logto.ParseConfig, logto.New),
		webhook.Kind:    kind(webhook.Spec, webhook.ParseConfig, webhook.New),
		fusionauth.Kind: kind(fusionauth.Spec, fusionauth.ParseConfig, fusionauth.New),
		ssf.Kind:        kind(ssf.Spec, ssf.ParseConfig, ssf.New),
	})
	return m
}

// kind makes a platform's entry from its ParseConfig and New. A nil
// Fetcher pointer becomes a nil interface, never a non-nil one holding it.
func kind[C any, P source.Parser, F interface {
	source.Fetcher
	comparable
}](s spec.Component, parse func([]byte) (C, error), build func(string, C, *http.Client) (P, F, error)) Kind {
	_, lists := any(*new(F)).(source.Lister)
	return Kind{Spec: s, lists: lists, New: func(name string, raw []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
		cfg, err := parse(raw)
		if err != nil {
			return nil, nil, err
		}
		p, f, err := build(name, cfg, hc)
		if err != nil {
			return nil, nil, err
		}
		var none F
		if f == none {
			return p, nil, nil
		}
		return p, f, nil
	}}
}

// New builds the Parser and Fetcher of the source called name from cfg. The
// Fetcher is nil for sources whose events carry full snapshots and that
// have no fetch API configured. Errors read "source NAME: " and then name
// the field.
func New(name string, cfg []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("source: empty name")
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(cfg, &head); err != nil {
		return nil, nil, fmt.Errorf("source %s: the secret is not a JSON object with a kind", name)
	}
	if head.Kind == "" {
		return nil, nil, fmt.Errorf("source %s: field \"kind\": required, one of %v", name, Kinds())
	}
	k, ok := kinds()[head.Kind]
	if !ok {
		return nil, nil, fmt.Errorf("source %s: field \"kind\": unknown kind %q, want one of %v", name, head.Kind, Kinds())
	}
	p, f, err := k.New(name, cfg, hc)
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", name, err)
	}
	return p, f, nil
}

// Lookup returns the platform called kind.
func Lookup(kind string) (Kind, bool) {
	k, ok := kinds()[kind]
	return k, ok
}

// Kinds lists the known kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds()))
	for k := range kinds() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Names is Kinds, named as the connector registry names it.
func Names() []string { return Kinds() }

// Specs lists every platform's Spec, sorted by kind.
func Specs() []spec.Component {
	out := make([]spec.Component, 0, len(kinds()))
	for _, n := range Kinds() {
		out = append(out, kinds()[n].Spec)
	}
	return out
}

// SecretReader returns a named secret's JSON (Secrets Manager on AWS,
// files locally).
type SecretReader interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Environment is the environment a source's secret names (the key
// "environment", the same in every kind's config): the events its parser
// accepts carry it, and it selects the mappings' environment overrides.
// Jobs give the events they make for the source the same.
func Environment(secret []byte) string {
	var c struct {
		Environment string `json:"environment"`
	}
	if json.Unmarshal(secret, &c) != nil {
		return ""
	}
	return c.Environment
}

// BuildAll builds every named source from its secret (the secret has the
// source's name). The fetchers map holds only the sources with a fetch API.
func BuildAll(ctx context.Context, names []string, secrets SecretReader, hc *http.Client) (map[string]source.Parser, map[string]source.Fetcher, error) {
	parsers := map[string]source.Parser{}
	fetchers := map[string]source.Fetcher{}
	for _, name := range names {
		raw, err := secrets.Secret(ctx, name)
		if err != nil {
			return nil, nil, fmt.Errorf("source %s: read secret: %w", name, err)
		}
		p, f, err := New(name, raw, hc)
		if err != nil {
			return nil, nil, err // New's error already reads "source NAME: "
		}
		parsers[name] = p
		if f != nil {
			fetchers[name] = f
		}
	}
	return parsers, fetchers, nil
}

// BuildListers builds the named sources of the kinds that list (listing)
// and returns those whose fetcher can: the sources a job can read. Sources
// of other kinds are not built: a job naming one is refused by its caller.
func BuildListers(ctx context.Context, names []string, secrets SecretReader, hc *http.Client) (map[string]source.Lister, error) {
	table := listing()
	out := map[string]source.Lister{}
	for _, name := range names {
		raw, err := secrets.Secret(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("source %s: read secret: %w", name, err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(raw, &head) != nil {
			return nil, fmt.Errorf("source %s: the secret is not a JSON object with a kind", name)
		}
		k, ok := table[head.Kind]
		if !ok {
			continue
		}
		_, f, err := k.New(name, raw, hc)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", name, err)
		}
		if l, ok := f.(source.Lister); ok {
			out[name] = l
		}
	}
	return out, nil
}
