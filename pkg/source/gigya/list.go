package gigya

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// MaxPageSize is the largest LIMIT accounts.search accepts (SAP documents
// 10000); DefaultPageSize is what List asks for when given no size.
const (
	MaxPageSize     = 10000
	DefaultPageSize = 1000
)

// searchQuery reads whole accounts; List appends the page size as LIMIT.
const searchQuery = "SELECT * FROM accounts"

var _ source.Lister = (*Fetcher)(nil)

// List implements source.Lister with accounts.search and a cursor: the
// first page sends the query with openCursor=true, every later one only
// the cursorId the previous page returned (the cursor). The page size is
// fixed when the cursor opens: size is read on the first page only
// (≤ 0 means DefaultPageSize; above MaxPageSize it is capped). The last
// page returns no nextCursorId. SAP keeps a cursor for a limited time: an
// expired one is a permanent fault and the listing must start over.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	params := url.Values{"cursorId": {cursor}}
	if cursor == "" {
		if size <= 0 {
			size = DefaultPageSize
		}
		size = min(size, MaxPageSize)
		params = url.Values{"query": {searchQuery + " LIMIT " + strconv.Itoa(size)}, "openCursor": {"true"}}
	}
	body, _, err := f.call(ctx, "accounts.search", params)
	if err != nil {
		return nil, "", err
	}
	var r struct {
		Results      []account `json:"results"`
		NextCursorID string    `json:"nextCursorId"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, "", fault.New(fault.Permanent, http.StatusOK, "", "gigya accounts.search: unreadable results")
	}
	out := make([]*profile.Profile, 0, len(r.Results))
	for i := range r.Results {
		if r.Results[i].UID == "" {
			return nil, "", fault.New(fault.Permanent, http.StatusOK, "", fmt.Sprintf("gigya accounts.search: result %d has no UID", i))
		}
		out = append(out, r.Results[i].profile())
	}
	if len(r.Results) == 0 {
		return out, "", nil
	}
	return out, r.NextCursorID, nil
}
