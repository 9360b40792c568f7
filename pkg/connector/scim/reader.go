package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: the endpoint's resources, page by page
// (RFC 7644 §3.4.2.4: startIndex and count; the cursor is the next
// startIndex).

var _ connector.Readable = (*Client)(nil)

// ResourceReader lists the resources of one SCIM endpoint; see
// Client.Reader.
type ResourceReader struct {
	c   *Client
	top []string // the first segments of the paths read
}

var _ connector.Reader = (*ResourceReader)(nil)

// DefaultReadPage is the count asked for when the caller gives none.
const DefaultReadPage = 100

// Reader returns a connector.Reader over the endpoint reading paths
// (nested paths such as name.givenName are returned as the provider
// nests them). Resources without an externalId are returned unmanaged.
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	seen := map[string]bool{}
	r := &ResourceReader{c: c}
	for _, p := range paths {
		// The mapping nests a record on '.', as the connector writes it.
		top, _, _ := strings.Cut(p, ".")
		if !seen[strings.ToLower(top)] {
			seen[strings.ToLower(top)] = true
			r.top = append(r.top, top)
		}
	}
	return r, paths, nil
}

// Records returns one page of at most size resources (DefaultReadPage
// when size is 0; the provider may return fewer).
func (r *ResourceReader) Records(ctx context.Context, cursor string, size int) ([]connector.Record, string, error) {
	start := 1
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 1 {
			return nil, "", fault.New(fault.Permanent, 0, "", "scim reader: the cursor is not a startIndex")
		}
		start = n
	}
	if size <= 0 {
		size = DefaultReadPage
	}
	q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(size)}}
	status, h, body, err := r.c.do(ctx, http.MethodGet, r.c.endpoint+"?"+q.Encode(), nil, "")
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", classify(status, h, body, nil)
	}
	var lr listResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		return nil, "", fault.New(fault.Transient, status, "", "list answered with a body that is not a ListResponse")
	}
	out := make([]connector.Record, 0, len(lr.Resources))
	for _, res := range lr.Resources {
		out = append(out, r.record(res))
	}
	next := start + len(lr.Resources)
	if len(lr.Resources) == 0 || next > lr.TotalResults {
		return out, "", nil
	}
	return out, strconv.Itoa(next), nil
}

// record keeps the attributes read, under the mapping's spelling
// (attribute names are case-insensitive, RFC 7643 §2.1).
func (r *ResourceReader) record(res map[string]any) connector.Record {
	var key string
	byName := make(map[string]any, len(res))
	for k, v := range res {
		if strings.EqualFold(k, "externalId") {
			key, _ = v.(string)
		}
		byName[strings.ToLower(k)] = v
	}
	if key == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.top))
	for _, t := range r.top {
		fields[t] = byName[strings.ToLower(t)]
	}
	return connector.Record{Key: key, Fields: fields}
}

var _ connector.Finder = (*ResourceReader)(nil)

// Find reads the resource whose externalId is key (the filter the
// connector's upserts look it up with).
func (r *ResourceReader) Find(ctx context.Context, key string) (connector.Record, bool, error) {
	res, err := r.c.lookup(ctx, key, []string{key})
	if err != nil || res == nil {
		return connector.Record{}, false, err
	}
	return r.record(res.Attrs), true, nil
}
