// Package registry lists every source adapter in one explicit map and builds
// a source's Parser and Fetcher from its JSON config (the source's secret),
// dispatching on the config's "kind". Adding a platform means one line in
// kinds; nothing registers itself from init().
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/akamai"
	"github.com/profilesync/profilesync/pkg/source/cidaas"
	"github.com/profilesync/profilesync/pkg/source/standardwebhooks"
)

// constructor builds one kind's adapters from its raw config.
type constructor func(name string, cfg []byte, hc *http.Client) (source.Parser, source.Fetcher, error)

var kinds = map[string]constructor{
	cidaas.Kind: func(name string, raw []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
		cfg, err := cidaas.ParseConfig(raw)
		if err != nil {
			return nil, nil, err
		}
		p, f, err := cidaas.New(name, cfg, hc)
		return p, f, err
	},
	akamai.Kind: func(name string, raw []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
		cfg, err := akamai.ParseConfig(raw)
		if err != nil {
			return nil, nil, err
		}
		p, f, err := akamai.New(name, cfg, hc)
		return p, f, err
	},
	standardwebhooks.Kind: func(name string, raw []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
		cfg, err := standardwebhooks.ParseConfig(raw)
		if err != nil {
			return nil, nil, err
		}
		p, f, err := standardwebhooks.New(name, cfg, hc)
		if err != nil || f == nil {
			return p, nil, err // a nil *Fetcher must not become a non-nil interface
		}
		return p, f, nil
	},
}

// New builds the Parser and Fetcher of the source called name from cfg. The
// Fetcher is nil for sources whose events carry full snapshots and that
// have no fetch API configured. Errors name the source and the field.
func New(name string, cfg []byte, hc *http.Client) (source.Parser, source.Fetcher, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("source: empty name")
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(cfg, &head); err != nil {
		return nil, nil, fmt.Errorf("source %q: config is not a JSON object: %w", name, err)
	}
	if head.Kind == "" {
		return nil, nil, fmt.Errorf("source %q: field \"kind\": required, one of %v", name, Kinds())
	}
	build, ok := kinds[head.Kind]
	if !ok {
		return nil, nil, fmt.Errorf("source %q: field \"kind\": unknown kind %q, want one of %v", name, head.Kind, Kinds())
	}
	p, f, err := build(name, cfg, hc)
	if err != nil {
		return nil, nil, fmt.Errorf("source %q: %w", name, err)
	}
	return p, f, nil
}

// Kinds lists the known kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SecretReader returns a named secret's JSON (Secrets Manager on AWS,
// files locally).
type SecretReader interface {
	Secret(ctx context.Context, name string) ([]byte, error)
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
			return nil, nil, fmt.Errorf("source %s: %w", name, err)
		}
		parsers[name] = p
		if f != nil {
			fetchers[name] = f
		}
	}
	return parsers, fetchers, nil
}
