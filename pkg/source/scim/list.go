package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// List implements source.Lister with GET {base_url}/Users?startIndex&count
// (RFC 7644 §3.4.2.4). The cursor is the next 1-based startIndex as
// decimal text; "" is the first page. size ≤ 0 means the secret's
// page_size; above MaxPageSize it is capped. A provider may send fewer
// than asked (its own maximum): the next index follows what it sent.
// Listing is done (next "") after an empty page or when the next index
// passes totalResults (a provider that omits it is paged until an empty
// page). Users created or deleted while listing can shift
// the offsets: a backfill may miss or repeat one, as with any SCIM
// provider without cursor paging.
func (f *Fetcher) List(ctx context.Context, page string, size int) ([]*profile.Profile, string, error) {
	start := 1
	if page != "" {
		n, err := strconv.Atoi(page)
		if err != nil || n < 1 {
			return nil, "", fault.New(fault.Permanent, 0, "", "scim list users: the cursor is not a startIndex")
		}
		start = n
	}
	if size <= 0 {
		size = f.cfg.PageSize
	}
	size = min(size, MaxPageSize)
	u := fmt.Sprintf("%s/Users?startIndex=%d&count=%d", f.cfg.BaseURL, start, size)
	status, h, body, err := sourcekit.Get(ctx, f.hc, "scim list users", u, f.auth())
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		if status == http.StatusNotFound { // no such endpoint: not a missing subject
			return nil, "", fault.FromHTTP(status, h, "", "scim list users: no /Users endpoint")
		}
		return nil, "", f.answerError(status, h, body)
	}
	var lr struct {
		TotalResults *int              `json:"totalResults"`
		Resources    []json.RawMessage `json:"Resources"`
	}
	if err := json.Unmarshal(body, &lr); err != nil {
		return nil, "", fault.New(fault.Permanent, status, "", "scim list users: not a ListResponse")
	}
	out := make([]*profile.Profile, 0, len(lr.Resources))
	for i, raw := range lr.Resources {
		p, err := toProfile(raw, f.cfg.Extension)
		if err != nil {
			return nil, "", fault.New(fault.Permanent, status, "", fmt.Sprintf("scim list users: resource %d: %v", start+i, err))
		}
		out = append(out, p)
	}
	next := start + len(lr.Resources)
	// totalResults is REQUIRED (RFC 7644 §3.4.2); without it, page on
	// until a page comes back empty.
	if len(lr.Resources) == 0 || (lr.TotalResults != nil && next > *lr.TotalResults) {
		return out, "", nil
	}
	return out, strconv.Itoa(next), nil
}
