// Package scim is the SCIM 2.0 connector (RFC 7643 schema, RFC 7644
// protocol) for any SCIM-enabled application. A profile is one resource
// (a User by default) whose externalId is the record key: an upsert looks
// it up with an externalId filter, then creates it (POST) or replaces it
// (PUT) or patches it (PATCH), sending If-Match when the provider versions
// resources; a delete removes it or sets active=false.
//
// Files: config.go (mapping settings and the secret), auth.go (bearer or
// Basic), client.go (Upsert, Delete, Deactivate), resource.go (lookup,
// bodies, conditional writes), errors.go (the SCIM error body and its
// classification). The SCIM server for tests and the local sandbox lives in
// pkg/sandbox/scim.
package scim

import (
	"context"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

// Client writes records as resources of one SCIM endpoint. It is safe for
// concurrent use.
type Client struct {
	settings Settings
	creds    Credentials
	endpoint string // base_url + endpoint, no trailing slash
	hc       *http.Client
}

// Compile-time checks that Client is every port the registry and the
// sync handler look for.
var (
	_ connector.Connector   = (*Client)(nil)
	_ connector.Deactivator = (*Client)(nil)
)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("scim target %s: %w", name, err)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	ep := strings.TrimRight(c.BaseURL, "/") + strings.TrimRight(s.Endpoint, "/")
	return &Client{settings: s, creds: c, endpoint: ep, hc: hc}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("scim target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "scim", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("scim target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// errGone reports that a resource found by the lookup vanished before the
// write (404): the caller creates it afresh.
var errGone = errors.New("resource gone")

// Upsert creates or updates the resource whose externalId is r.Key.
// Result.ID is the provider's id.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if r.Key == "" {
		return connector.Result{}, fault.New(fault.Permanent, 0, "", "record has no key")
	}
	sent := redact.SentValues(r.Fields, r.Key)
	res, err := c.upsert(ctx, r.Key, c.fields(r.Fields), sent)
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert: %w", err)
	}
	return res, nil
}

func (c *Client) upsert(ctx context.Context, key string, fields map[string]any, sent []string) (connector.Result, error) {
	found, err := c.lookup(ctx, key, sent)
	if err != nil {
		return connector.Result{}, err
	}
	for attempt := 0; ; attempt++ {
		if found == nil {
			id, conflict, err := c.create(ctx, key, fields, sent)
			if conflict == nil {
				return connector.Result{ID: id, Created: err == nil}, err
			}
			// 409: it was created since our lookup (a concurrent worker, or a
			// retry whose 201 was lost). Re-query and update it; a blind
			// retry would only conflict again.
			if found, err = c.lookup(ctx, key, sent); err != nil {
				return connector.Result{}, err
			}
			if found == nil {
				// The conflict is on another attribute (userName held by a
				// resource with another externalId): only a person can fix it.
				return connector.Result{}, conflict
			}
		}
		err := c.write(ctx, found, c.updateRequest(key, fields), sent)
		if errors.Is(err, errGone) && attempt == 0 {
			found = nil // deleted since the lookup: create it
			continue
		}
		if err != nil {
			return connector.Result{}, err
		}
		return connector.Result{ID: found.ID}, nil
	}
}

// Delete removes the resource whose externalId is r.Key (or deactivates it
// when the settings say deactivate_on_delete). A resource that is not
// there counts as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	if c.settings.DeactivateOnDelete {
		return c.Deactivate(ctx, r)
	}
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key")
	}
	sent := []string{r.Key}
	found, err := c.lookup(ctx, r.Key, sent)
	if err == nil && found != nil {
		err = c.write(ctx, found, func(*resource) (string, any) { return http.MethodDelete, nil }, sent)
	}
	if err != nil && !errors.Is(err, errGone) {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// Deactivate sets active=false on the resource whose externalId is r.Key,
// keeping it: with a PATCH in patch mode, else by PUTting back the
// provider's own representation with active=false. A missing resource is
// left alone.
func (c *Client) Deactivate(ctx context.Context, r connector.Record) error {
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key")
	}
	sent := []string{r.Key}
	found, err := c.lookup(ctx, r.Key, sent)
	if err == nil && found != nil {
		err = c.write(ctx, found, c.deactivateRequest(), sent)
	}
	if err != nil && !errors.Is(err, errGone) {
		return fmt.Errorf("deactivate: %w", err)
	}
	return nil
}

// fields drops what the connector owns: the provider's id and meta, the
// schemas (from the settings) and externalId (the key).
func (c *Client) fields(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch strings.ToLower(k) {
		case "id", "meta", "schemas", "externalid":
			continue
		}
		out[k] = v
	}
	return out
}
