// Package stack assembles the handlers from a deployment's mappings,
// secrets and adapters. The Lambda composition roots (functions/*) and the
// local stack (pkg/devstack, cmd/profilesync) both build through it, so the
// code that runs locally is the code that runs on AWS.
package stack

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	targetreg "github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/source"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
)

// Secrets returns a named secret's JSON (Secrets Manager on AWS, files
// locally).
type Secrets interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Config is what every handler is built from.
type Config struct {
	Mappings *mapping.Set
	Sources  []string // source instance names: /webhooks/{name}, one secret each
	Secrets  Secrets
	HTTP     *http.Client // nil: a client with a 20 s timeout
	Log      *slog.Logger
}

// LoadMappings loads and validates mapping files, checking each connector's
// settings with the target registry.
//
// A stack built from here evaluates fields, so LoadMappings also gives the
// mappings their phone normaliser (the ingress function, which only routes,
// loads mappings through pkg/lambdaenv without one).
func LoadMappings(fsys fs.FS, dir string) (*mapping.Set, error) {
	mapping.UsePhone(phone.E164)
	return mapping.LoadFS(fsys, dir, checkSettings)
}

func checkSettings(connector string, settings map[string]any) error {
	k, ok := targetreg.Lookup(connector)
	if !ok {
		return fmt.Errorf("unknown connector %q; known: %v", connector, targetreg.Names())
	}
	return k.CheckSettings(settings)
}

func (c Config) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: lambdaenv.HTTPTimeout}
}

func (c Config) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// BuildSources builds every configured source from its secret.
func (c Config) BuildSources(ctx context.Context) (map[string]source.Parser, map[string]source.Fetcher, error) {
	return sourcereg.BuildAll(ctx, c.Sources, c.Secrets, c.httpClient())
}

// Ingress builds the webhook handler writing to q.
func (c Config) Ingress(ctx context.Context, q ingress.Queue) (*ingress.Handler, error) {
	parsers, _, err := c.BuildSources(ctx)
	if err != nil {
		return nil, err
	}
	return &ingress.Handler{Sources: parsers, Router: c.Mappings, Queue: q, Log: c.log()}, nil
}

// Sync builds the delivery handler of one target.
func (c Config) Sync(ctx context.Context, target string, state delivery.StateStore) (*delivery.Handler, error) {
	m := c.Mappings.Get(target)
	if m == nil {
		return nil, fmt.Errorf("target %q has no mapping file", target)
	}
	secret, err := c.Secrets.Secret(ctx, m.Secret)
	if err != nil {
		return nil, fmt.Errorf("target %s: read secret %s: %w", target, m.Secret, err)
	}
	kind, ok := targetreg.Lookup(m.Connector)
	if !ok {
		return nil, fmt.Errorf("target %s: unknown connector %q", target, m.Connector)
	}
	conn, err := kind.New(target, m.Settings, secret, c.httpClient())
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", target, err)
	}
	_, fetchers, err := c.BuildSources(ctx)
	if err != nil {
		return nil, err
	}
	if state == nil {
		return nil, fmt.Errorf("target %s: no state store", target)
	}
	return &delivery.Handler{Target: target, Mapping: m, Connector: conn, Fetchers: fetchers, State: state, Log: c.log()}, nil
}
