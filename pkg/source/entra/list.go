package entra

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// MaxPageSize is the largest $top Graph accepts for users; DefaultPageSize
// is Graph's own default page.
const (
	MaxPageSize     = 999
	DefaultPageSize = 100
)

// List implements source.Lister with GET /v1.0/users?$top=&$select=, paged
// by @odata.nextLink: the cursor is that link, as Graph gave it (its
// $skiptoken is opaque and only valid with the rest of the query). A
// cursor that does not point at the configured Graph users collection is
// refused (permanent) rather than followed. size applies to the first
// page; the link carries it on. size ≤ 0 means DefaultPageSize; above
// MaxPageSize it is capped.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	u := cursor
	if u == "" {
		if size <= 0 {
			size = DefaultPageSize
		}
		size = min(size, MaxPageSize)
		u = f.cfg.GraphURL + "/v1.0/users?$top=" + strconv.Itoa(size) + "&$select=" + url.QueryEscape(f.cfg.selectQuery())
	} else if !strings.HasPrefix(u, f.cfg.GraphURL+"/v1.0/users?") {
		return nil, "", fault.New(fault.Permanent, 0, "", "entra list users: the cursor is not a Graph users link")
	}
	status, h, body, err := f.call(ctx, "entra list users", http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", graphFault(status, h, body)
	}
	var page struct {
		Value    []json.RawMessage `json:"value"`
		NextLink string            `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, "", fault.New(fault.Transient, status, "", "entra list users: response is not JSON")
	}
	out := make([]*profile.Profile, 0, len(page.Value))
	for _, raw := range page.Value {
		gu, err := decodeUser(raw)
		if err != nil || gu.ID == "" {
			return nil, "", fault.New(fault.Permanent, status, "", "entra list users: unreadable user object")
		}
		out = append(out, gu.profile(&f.cfg))
	}
	if page.NextLink != "" && !strings.HasPrefix(page.NextLink, f.cfg.GraphURL+"/v1.0/users?") {
		return nil, "", fault.New(fault.Permanent, status, "", "entra list users: @odata.nextLink leaves the configured Graph")
	}
	return out, page.NextLink, nil
}
