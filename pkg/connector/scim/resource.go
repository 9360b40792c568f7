package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/fault"
)

// resource is what the lookup found: the provider's id, its version (for
// If-Match; "" when the provider does not version) and its representation.
type resource struct {
	ID      string
	Version string
	Attrs   map[string]any
}

// request builds a write against a resource (method and body; a nil body
// sends none). It gets the freshest representation: a 412 re-reads it.
type request func(r *resource) (method string, body any)

type listResponse struct {
	TotalResults int              `json:"totalResults"`
	Resources    []map[string]any `json:"Resources"`
}

// lookup finds the resource whose externalId is key: nil when there is
// none, a Permanent error when there are several.
func (c *Client) lookup(ctx context.Context, key string, sent []string) (*resource, error) {
	q := url.Values{"filter": {"externalId eq " + quote(key)}}
	status, h, body, err := c.do(ctx, http.MethodGet, c.endpoint+"?"+q.Encode(), nil, "")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classify(status, h, body, sent)
	}
	var lr listResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		return nil, fault.New(fault.Transient, status, "", "lookup answered with a body that is not a ListResponse")
	}
	switch {
	case lr.TotalResults == 0 && len(lr.Resources) == 0:
		return nil, nil
	case lr.TotalResults > 1 || len(lr.Resources) > 1:
		return nil, fault.New(fault.Permanent, status, "ambiguousExternalId",
			fmt.Sprintf("%d resources have this externalId; remove the duplicates in the provider", max(lr.TotalResults, len(lr.Resources))))
	case len(lr.Resources) == 0:
		return nil, fault.New(fault.Transient, status, "", "lookup counted a match but returned none")
	}
	return toResource(lr.Resources[0], ""), nil
}

// quote writes key as a SCIM filter string: a JSON string (RFC 7644
// §3.4.2.2), so quotes and backslashes in the key are escaped.
func quote(key string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(key)
	return strings.TrimSpace(b.String())
}

func toResource(m map[string]any, etag string) *resource {
	r := &resource{Attrs: m, Version: etag}
	r.ID, _ = m["id"].(string)
	if meta, ok := m["meta"].(map[string]any); ok && r.Version == "" {
		r.Version, _ = meta["version"].(string)
	}
	return r
}

// get re-reads a resource (after a 412), for its current version.
func (c *Client) get(ctx context.Context, id string, sent []string) (*resource, error) {
	u, err := c.resourceURL(id)
	if err != nil {
		return nil, err
	}
	status, h, body, err := c.do(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return nil, errGone
	}
	if status != http.StatusOK {
		return nil, classify(status, h, body, sent)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fault.New(fault.Transient, status, "", "get answered with a body that is not a resource")
	}
	return toResource(m, h.Get("ETag")), nil
}

// create POSTs a new resource. conflict is the classified 409 when the
// provider refused it as not unique; the caller re-queries.
func (c *Client) create(ctx context.Context, key string, fields map[string]any, sent []string) (id string, conflict *fault.Error, err error) {
	status, h, body, err := c.do(ctx, http.MethodPost, c.endpoint, c.representation(key, fields), "")
	if err != nil {
		return "", nil, err
	}
	switch {
	case status == http.StatusCreated || status == http.StatusOK:
		var m map[string]any
		_ = json.Unmarshal(body, &m) // created; an odd body only costs the id
		id, _ := m["id"].(string)
		return id, nil, nil
	case status == http.StatusConflict:
		e := classify(status, h, body, sent)
		return "", e, e
	}
	return "", nil, classify(status, h, body, sent)
}

// write sends req against r with If-Match when r has a version. On 412 it
// re-reads r once and resends; 404 is errGone.
func (c *Client) write(ctx context.Context, r *resource, req request, sent []string) error {
	for attempt := 0; ; attempt++ {
		method, payload := req(r)
		u, err := c.resourceURL(r.ID)
		if err != nil {
			return err
		}
		status, h, body, err := c.do(ctx, method, u, payload, r.Version)
		switch {
		case err != nil:
			return err
		case status/100 == 2:
			return nil
		case status == http.StatusNotFound:
			return errGone
		case status == http.StatusPreconditionFailed && attempt == 0:
			fresh, err := c.get(ctx, r.ID, sent)
			if err != nil {
				return err
			}
			*r = *fresh
			continue
		}
		return classify(status, h, body, sent)
	}
}

// updateRequest is the PUT or PATCH the mode calls for.
func (c *Client) updateRequest(key string, fields map[string]any) request {
	return func(*resource) (string, any) {
		if c.settings.Mode == ModePatch {
			return http.MethodPatch, patchBody(fields)
		}
		return http.MethodPut, c.representation(key, fields)
	}
}

func (c *Client) deactivateRequest() request {
	return func(r *resource) (string, any) {
		if c.settings.Mode == ModePatch {
			return http.MethodPatch, patchOp{Schemas: []string{msgPatchOp},
				Operations: []operation{{Op: "replace", Path: "active", Value: false}}}
		}
		m := maps.Clone(r.Attrs)
		delete(m, "meta")
		m["active"] = false
		return http.MethodPut, m
	}
}

// representation is a full resource body: the settings' schemas, the key
// as externalId, and the mapped attributes (nulls left out).
func (c *Client) representation(key string, fields map[string]any) map[string]any {
	m := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		if v != nil {
			m[k] = v
		}
	}
	m["schemas"] = c.settings.Schemas
	m["externalId"] = key
	return m
}

type patchOp struct {
	Schemas    []string    `json:"schemas"`
	Operations []operation `json:"Operations"`
}

type operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// patchBody replaces each mapped attribute by path and removes each null
// one; an extension's attributes (a map under its URN) are addressed one
// by one as "<urn>:<attribute>". Operations are sorted so the body is
// stable.
func patchBody(fields map[string]any) patchOp {
	var ops []operation
	add := func(path string, v any) {
		if v == nil {
			ops = append(ops, operation{Op: "remove", Path: path})
			return
		}
		ops = append(ops, operation{Op: "replace", Path: path, Value: v})
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		ext, isMap := fields[k].(map[string]any)
		if !strings.HasPrefix(strings.ToLower(k), "urn:") || !isMap {
			add(k, fields[k])
			continue
		}
		for _, sub := range slices.Sorted(maps.Keys(ext)) {
			add(k+":"+sub, ext[sub])
		}
	}
	if ops == nil {
		// PATCH needs at least one operation; an empty record re-asserts
		// that the resource is active.
		ops = []operation{{Op: "replace", Path: "active", Value: true}}
	}
	return patchOp{Schemas: []string{msgPatchOp}, Operations: ops}
}

func (c *Client) resourceURL(id string) (string, error) {
	seg, err := connectorkit.PathSegment("scim", "resource id", id)
	if err != nil {
		return "", err
	}
	return c.endpoint + "/" + seg, nil
}

// do sends one request; errors are transport failures, already classified.
func (c *Client) do(ctx context.Context, method, u string, payload any, ifMatch string) (int, http.Header, []byte, error) {
	b, err := connectorkit.EncodeJSON(payload, "body")
	if err != nil {
		return 0, nil, nil, err
	}
	h := http.Header{"Accept": {"application/scim+json, application/json"}}
	if b != nil {
		h.Set("Content-Type", "application/scim+json")
	}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	c.authorize(h)
	return connectorkit.Call(ctx, c.hc, method, u, h, b, maxBody)
}
