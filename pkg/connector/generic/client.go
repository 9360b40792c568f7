// Package generic is a connector for any HTTPS JSON API: the mapping names,
// per event type, the method and path to call, and how to authenticate
// (bearer token, basic, an HMAC signature over the body, or none). It is the
// target of last resort before a system gets its own package.
//
// Files: config.go (settings, secret, validation), auth.go (the auth modes
// and the HMAC signature), client.go (Upsert, Delete), errors.go (response
// classification). The fake API for tests and the local stack lives in
// pkg/sandbox/generic.
package generic

import (
	"bytes"
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
	"github.com/profilesync/profilesync/pkg/profile"
)

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

// Client sends records to one API. It is safe for concurrent use.
type Client struct {
	settings Settings
	creds    Credentials
	base     string // base_url without a trailing slash
	hc       *http.Client
	now      func() time.Time
}

var _ connector.Connector = (*Client)(nil)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("generic target %s: %w", name, err)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Client{settings: s, creds: c, base: strings.TrimRight(c.BaseURL, "/"), hc: hc, now: time.Now}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("generic target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = c.CheckAuth(s.Auth)
	}
	if err == nil {
		err = connectorkit.CheckEgress(hc, "generic", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("generic target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// Body is the JSON an upsert sends.
type Body struct {
	Key    string         `json:"key"`
	Event  EventRef       `json:"event"`
	Record map[string]any `json:"record"`
}

// EventRef identifies the change that produced a record.
type EventRef struct {
	ID         string            `json:"id"`
	Type       profile.EventType `json:"type"`
	Source     string            `json:"source"`
	OccurredAt time.Time         `json:"occurred_at"`
}

// Upsert sends r with the request for its event's type (else "upsert").
// Result.Created is true on 201; Result.ID is the "id" of a JSON answer.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	t := r.Event.Type
	if t == profile.Deleted {
		t = "" // an upsert is never routed to the delete call
	}
	route, ok := c.settings.route(t)
	if !ok {
		return connector.Result{}, fault.New(fault.Permanent, 0, "", fmt.Sprintf("no request configured for %q events", r.Event.Type))
	}
	fields := r.Fields
	if fields == nil {
		fields = map[string]any{}
	}
	body, err := json.Marshal(Body{
		Key:    r.Key,
		Event:  EventRef{ID: r.Event.ID, Type: r.Event.Type, Source: r.Event.Source, OccurredAt: r.Event.OccurredAt},
		Record: fields,
	})
	if err != nil {
		return connector.Result{}, fault.Wrap(fault.Permanent, fmt.Errorf("upsert: encode record: %w", err))
	}
	status, resp, err := c.send(ctx, route, r, body)
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert: %w", err)
	}
	if status/100 == 2 {
		return connector.Result{ID: responseID(resp), Created: status == http.StatusCreated}, nil
	}
	return connector.Result{}, fmt.Errorf("upsert: %w", classify(status, resp.header, resp.body, redact.SentValues(r.Fields, r.Key)))
}

// Delete sends the "deleted" request, without a body. 404 and 410 mean
// the record is already gone, which is success.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	route, ok := c.settings.route(profile.Deleted)
	if !ok {
		return fault.New(fault.Permanent, 0, "", `no request configured for "deleted" events`)
	}
	status, resp, err := c.send(ctx, route, r, nil)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if status/100 == 2 || status == http.StatusNotFound || status == http.StatusGone {
		return nil
	}
	return fmt.Errorf("delete: %w", classify(status, resp.header, resp.body, []string{r.Key}))
}

// response is what send read.
type response struct {
	header http.Header
	body   []byte
}

func (c *Client) send(ctx context.Context, route Request, r connector.Record, body []byte) (int, response, error) {
	if r.Key == "" {
		return 0, response{}, fault.New(fault.Permanent, 0, "", "record has no key")
	}
	h := http.Header{}
	for k, v := range c.settings.Headers {
		h.Set(k, v)
	}
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	if r.Event.ID != "" {
		// Lets the API drop a resend of the same change (SQS delivers at
		// least once).
		h.Set("Idempotency-Key", r.Event.ID)
	}
	c.authorize(h, body)
	path, err := expand(route.Path, r)
	if err != nil {
		return 0, response{}, err
	}
	status, rh, b, err := connectorkit.Call(ctx, c.hc, route.Method, c.base+path, h, body, maxBody)
	if err != nil {
		return 0, response{}, err
	}
	return status, response{header: rh, body: b}, nil
}

// expand fills a path template's placeholders, each escaped as one path
// segment (connectorkit.PathSegment: empty, "." and ".." refused) or,
// after a "?", as one query value, so a key with "/", "&" or spaces cannot
// change the route.
func expand(tmpl string, r connector.Record) (string, error) {
	values := []struct{ name, what, value string }{
		{"{key}", "record key", r.Key},
		{"{event_id}", "event id", r.Event.ID},
		{"{event_type}", "event type", string(r.Event.Type)},
		{"{source}", "source", r.Event.Source},
	}
	path, query, hasQuery := strings.Cut(tmpl, "?")
	var pathArgs, queryArgs []string
	for _, v := range values {
		if strings.Contains(path, v.name) {
			seg, err := connectorkit.PathSegment("generic", v.what, v.value)
			if err != nil {
				return "", err
			}
			pathArgs = append(pathArgs, v.name, seg)
		}
		queryArgs = append(queryArgs, v.name, url.QueryEscape(v.value))
	}
	out := strings.NewReplacer(pathArgs...).Replace(path)
	if hasQuery {
		out += "?" + strings.NewReplacer(queryArgs...).Replace(query)
	}
	return out, nil
}

// responseID reads "id" from a JSON object answer, if there is one.
func responseID(r response) string {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		return ""
	}
	switch id := m["id"].(type) {
	case string:
		return id
	case json.Number:
		return id.String()
	}
	return ""
}
