// Package salesforce is the Salesforce connector: it upserts and deletes one
// sObject record per profile through the REST API, keyed on an External ID
// field that holds the CIAM subject, and authenticates with the OAuth 2.0
// client credentials flow.
//
// Files: config.go (mapping settings and the secret), auth.go (the token
// request and session; connectorkit caches it and refreshes it once per 401),
// client.go (Upsert, Delete), batch.go
// (UpsertBatch: sObject Collections upserts of up to 200 records with
// per-record results), errors.go (the error body and its classification),
// query.go and soql.go (the read side: Query, Reader, QuoteSOQL).
// The fake API for tests and the local stack lives in
// pkg/sandbox/salesforce.
package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"net/url"
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

// Client writes records of one sObject type to one org. It is safe for
// concurrent use; its goroutines share one access token.
type Client struct {
	settings Settings
	hc       *http.Client
	tokens   *connectorkit.ClientCredentials[session]
}

var _ connector.Connector = (*Client)(nil)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("salesforce target %s: %w", name, err)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Client{settings: s, hc: hc, tokens: newTokenSource(c, hc)}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("salesforce target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "salesforce", "login_url", c.LoginURL)
	}
	if err != nil {
		return nil, fmt.Errorf("salesforce target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// upsertResult is the body of a 200/201 upsert answer.
type upsertResult struct {
	ID      string `json:"id"`
	Created bool   `json:"created"`
}

// Upsert creates or updates the record whose External ID is r.Key.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	path, err := c.recordPath(r.Key)
	if err != nil {
		return connector.Result{}, err
	}
	body, err := json.Marshal(c.body(r.Fields))
	if err != nil {
		return connector.Result{}, fault.Wrap(fault.Permanent, fmt.Errorf("upsert %s: encode fields: %w", c.settings.Object, err))
	}
	status, h, resp, err := c.call(ctx, http.MethodPatch, path, body)
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert %s: %w", c.settings.Object, err)
	}
	switch status {
	case http.StatusCreated, http.StatusOK:
		var ur upsertResult
		_ = json.Unmarshal(resp, &ur) // the write happened; an odd body only costs the id
		return connector.Result{ID: ur.ID, Created: status == http.StatusCreated || ur.Created}, nil
	case http.StatusNoContent: // an update before API v46.0
		return connector.Result{}, nil
	}
	return connector.Result{}, fmt.Errorf("upsert %s: %w", c.settings.Object, classify(status, h, resp, redact.SentValues(r.Fields, r.Key)))
}

// Delete removes the record whose External ID is r.Key. A record that is
// missing or already deleted counts as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	path, err := c.recordPath(r.Key)
	if err != nil {
		return err
	}
	status, h, resp, err := c.call(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return fmt.Errorf("delete %s: %w", c.settings.Object, err)
	}
	if status == http.StatusNoContent || status == http.StatusOK {
		return nil
	}
	errs := parseErrors(resp)
	if status == http.StatusNotFound || hasCode(errs, codeEntityDeleted) {
		return nil
	}
	return fmt.Errorf("delete %s: %w", c.settings.Object, classify(status, h, resp, []string{r.Key}))
}

// recordPath is the sObject-rows-by-external-id resource for key, each
// segment escaped so a key with "/" or spaces stays one segment.
func (c *Client) recordPath(key string) (string, error) {
	seg, err := connectorkit.PathSegment("salesforce", "record key", key)
	if err != nil {
		return "", err
	}
	return "/services/data/" + c.settings.APIVersion + "/sobjects/" + url.PathEscape(c.settings.Object) +
		"/" + url.PathEscape(c.settings.ExternalIDField) + "/" + seg, nil
}

// body drops Id and the External ID field: the record is addressed by the
// URL, and Salesforce refuses an Id in an upsert body.
func (c *Client) body(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if strings.EqualFold(k, "Id") || strings.EqualFold(k, c.settings.ExternalIDField) {
			continue
		}
		out[k] = v
	}
	return out
}

// call sends one data API request. On 401 it refreshes the token once and
// resends; a second 401 comes back as an Auth fault, never retried here.
// Any other status comes back for the caller to read; errors are transport
// or token failures, already classified.
func (c *Client) call(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	for attempt := 0; ; attempt++ {
		s, err := c.tokens.Get(ctx)
		if err != nil {
			return 0, nil, nil, err
		}
		status, h, resp, err := c.send(ctx, s, method, path, body)
		if err != nil || status != http.StatusUnauthorized {
			return status, h, resp, err
		}
		c.tokens.Invalidate(s)
		if attempt == 1 {
			return 0, nil, nil, classify(status, h, resp, nil)
		}
	}
}

func (c *Client) send(ctx context.Context, s *session, method, path string, body []byte) (int, http.Header, []byte, error) {
	h := connectorkit.JSONHeader(body)
	h.Set("Authorization", "Bearer "+s.token)
	return connectorkit.Call(ctx, c.hc, method, s.instanceURL+path, h, body, maxBody)
}
