// Package braze is the Braze connector: it upserts user profiles keyed by
// external_id (the record key) with POST /users/track, up to 75 attribute
// objects per request (connector.Batcher), maps the non-fatal per-object
// errors Braze returns back to the records they belong to, opts users out
// of email (email_subscribe "unsubscribed"), and deletes them with POST
// /users/delete (up to 50 per request, irreversible).
//
// Files: config.go (mapping settings and the secret), client.go (Upsert,
// UpsertBatch, OptOut), delete.go (Delete, DeleteBatch), errors.go (response
// bodies and classification). The fake API lives in pkg/sandbox/braze.
package braze

import (
	"context"
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

// Client writes user profiles to one Braze workspace. It is safe for
// concurrent use.
type Client struct {
	settings Settings
	creds    Credentials
	base     string
	hc       *http.Client
	now      func() time.Time
}

// Compile-time checks that Client is every port the registry and the
// sync handler look for.
var (
	_ connector.Batcher  = (*Client)(nil)
	_ connector.OptOuter = (*Client)(nil)
)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("braze target %s: %w", name, err)
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
		return nil, fmt.Errorf("braze target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "braze", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("braze target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// MaxBatch is the most records one /users/track call takes.
func (c *Client) MaxBatch() int { return c.settings.MaxBatch }

// Upsert creates or updates the profile whose external_id is r.Key. Braze
// does not say whether it created the profile, so Result.Created is false;
// Result.ID is the external_id.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	res, errs := c.UpsertBatch(ctx, []connector.Record{r})
	return res[0], errs[0]
}

// UpsertBatch sends rs in calls of at most MaxBatch attribute objects and
// returns one result and one error per record. A record Braze refused gets
// a Permanent error with Braze's reason; when a request fails as a whole
// every record in it gets that request's error. Records Braze refused
// without saying which (an error with no index) are resent one per call
// so each gets its own answer.
func (c *Client) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	results, errs := make([]connector.Result, len(rs)), make([]error, len(rs))
	for start := 0; start < len(rs); start += c.settings.MaxBatch {
		end := min(start+c.settings.MaxBatch, len(rs))
		c.trackChunk(ctx, rs[start:end], results[start:end], errs[start:end])
	}
	return results, errs
}

func (c *Client) trackChunk(ctx context.Context, rs []connector.Record, results []connector.Result, errs []error) {
	var attrs []map[string]any
	var at []int // attrs[j] belongs to rs[at[j]]
	for i, r := range rs {
		if r.Key == "" {
			errs[i] = fault.New(fault.Permanent, 0, "", "record has no key (the external_id)")
			continue
		}
		attrs = append(attrs, c.attributes(r))
		at = append(at, i)
	}
	if len(attrs) == 0 {
		return
	}
	sent := make([][]string, len(at))
	for j, i := range at {
		sent[j] = redact.SentValues(rs[i].Fields, rs[i].Key)
	}
	out, err := c.track(ctx, attrs, sent)
	if err != nil {
		for _, i := range at {
			errs[i] = fmt.Errorf("track user: %w", err)
		}
		return
	}
	if len(out.unattributed) > 0 && len(at) > 1 {
		for _, i := range at {
			c.trackChunk(ctx, rs[i:i+1], results[i:i+1], errs[i:i+1])
		}
		return
	}
	for j, i := range at {
		switch {
		case out.items[j] != nil:
			errs[i] = fmt.Errorf("track user: %w", out.items[j])
		case len(out.unattributed) > 0:
			errs[i] = fmt.Errorf("track user: %w", nonFatal(out.status, strings.Join(out.unattributed, "; "), sent[j]))
		default:
			results[i] = connector.Result{ID: rs[i].Key}
		}
	}
}

// attributes is r's attributes object: the mapped fields with external_id
// set to the key (a mapped external_id cannot redirect the write).
func (c *Client) attributes(r connector.Record) map[string]any {
	a := make(map[string]any, len(r.Fields)+2)
	for k, v := range r.Fields {
		a[k] = v
	}
	a["external_id"] = r.Key
	if c.settings.UpdateExistingOnly {
		a["_update_existing_only"] = true
	}
	return a
}

// OptOut unsubscribes the user from email (consent revoked), and from the
// configured subscription groups. It never creates a profile.
func (c *Client) OptOut(ctx context.Context, r connector.Record) error {
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key (the external_id)")
	}
	a := map[string]any{"external_id": r.Key, "email_subscribe": "unsubscribed", "_update_existing_only": true}
	if gs := c.settings.OptOutSubscriptionGroups; len(gs) > 0 {
		groups := make([]map[string]string, len(gs))
		for i, g := range gs {
			groups[i] = map[string]string{"subscription_group_id": g, "subscription_state": "unsubscribed"}
		}
		a["subscription_groups"] = groups
	}
	sent := [][]string{redact.SentValues(r.Fields, r.Key)}
	out, err := c.track(ctx, []map[string]any{a}, sent)
	switch {
	case err != nil:
		return fmt.Errorf("opt out user: %w", err)
	case out.items[0] != nil:
		return fmt.Errorf("opt out user: %w", out.items[0])
	case len(out.unattributed) > 0:
		return fmt.Errorf("opt out user: %w", nonFatal(out.status, strings.Join(out.unattributed, "; "), sent[0]))
	}
	return nil
}

// trackOutcome is what one /users/track call said about its objects.
type trackOutcome struct {
	status       int
	items        []*fault.Error // per attribute object; nil when accepted
	unattributed []string       // errors that name no object
}

// track posts attrs. err is set when the request failed as a whole.
func (c *Client) track(ctx context.Context, attrs []map[string]any, sent [][]string) (trackOutcome, error) {
	status, h, body, err := c.post(ctx, "/users/track", map[string]any{"attributes": attrs})
	if err != nil {
		return trackOutcome{}, err
	}
	resp := parseResponse(body)
	out := trackOutcome{status: status, items: make([]*fault.Error, len(attrs))}
	fatal := status/100 != 2
	indexed := 0
	for _, e := range resp.errors {
		if len(attrs) == 1 && e.index == -1 && (e.array == "" || e.array == "attributes") {
			e.index = 0 // a one-object request: the error is that object's
		}
		if e.index < 0 || e.index >= len(attrs) || (e.array != "" && e.array != "attributes") {
			out.unattributed = append(out.unattributed, e.text)
			continue
		}
		indexed++
		out.items[e.index] = nonFatal(status, e.text, sent[e.index])
	}
	if !fatal {
		return out, nil
	}
	if status != http.StatusBadRequest || indexed == 0 {
		return trackOutcome{}, classify(status, h, resp, flatten(sent), c.now())
	}
	// A 400 that names the objects it refused: those are permanent; the
	// others were not applied and may be resent alone.
	for j := range out.items {
		if out.items[j] == nil {
			out.items[j] = fault.New(fault.Transient, status, "", "refused with other records of its request; resend it alone")
		}
	}
	out.unattributed = nil
	return out, nil
}

// post sends one JSON request; errors are transport failures, classified.
func (c *Client) post(ctx context.Context, path string, body any) (int, http.Header, []byte, error) {
	b, err := connectorkit.EncodeJSON(body, "fields")
	if err != nil {
		return 0, nil, nil, err
	}
	h := connectorkit.JSONHeader(b)
	h.Set("Authorization", "Bearer "+c.creds.APIKey)
	return connectorkit.Call(ctx, c.hc, http.MethodPost, c.base+path, h, b, maxBody)
}

func flatten(sent [][]string) []string {
	var out []string
	for _, s := range sent {
		out = append(out, s...)
	}
	return redact.SentValues(nil, out...) // sorted longest first
}
