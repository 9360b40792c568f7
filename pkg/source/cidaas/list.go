package cidaas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// SearchPath is cidaas's "Find users using filters" below base_url (POST,
// scope cidaas:users_search or cidaas:users_read), the documented
// replacement of the deprecated POST /users-srv/search/userlist.
const SearchPath = "/user-srv/graph/users"

// Paging limits cidaas documents for SearchPath: a page holds at most
// 1000 users, and only the first 10,000 matches can be fetched at all
// (beyond that cidaas points to its bulk read). DefaultPageSize is what
// List asks for when the caller gives no size.
const (
	MaxPageSize     = 1000
	SearchWindow    = 10000
	DefaultPageSize = 100
)

var _ source.Lister = (*Fetcher)(nil)

// List implements source.Lister with SearchPath: from (the offset, the
// cursor as decimal text; "" is 0), size, sortfield createdTime
// ascending, excludeUserCount. size ≤ 0 means DefaultPageSize; above
// MaxPageSize it is capped. A page shorter than asked (or cidaas's 204
// No Content) is the last.
//
// Offsets in creation order: users created while listing sort after
// those already listed and come on a later page, but a user deleted from
// a page already read shifts the rest one place back and the run skips
// one user. Past the first 10,000 users the search cannot page: List
// then answers a permanent fault rather than end early as if the tenant
// were done (the bulk read is not implemented).
//
// Each user maps as Fetch maps it (decodeUser), a 401 refreshes the
// token once, and errors are classified as Fetch's. Assumed,
// UNCONFIRMED: the answer is cidaas's envelope with the users in data
// (an array of user objects as the read returns them), and createdTime
// is a sortfield.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	offset := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "cidaas user search: the cursor is not an offset")
		}
		offset = n
	}
	if offset >= SearchWindow {
		return nil, "", fault.New(fault.Permanent, 0, "", "cidaas user search: cannot page past the first 10000 users (cidaas's limit; a bulk read is needed)")
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize, SearchWindow-offset)
	body, err := json.Marshal(map[string]any{"from": offset, "size": size, "sortfield": "createdTime", "descending": false, "excludeUserCount": true})
	if err != nil {
		return nil, "", fault.Wrap(fault.Permanent, err)
	}
	search := func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Send(ctx, f.hc, "cidaas user search", http.MethodPost, f.cfg.BaseURL+SearchPath, "application/json", body, sourcekit.Bearer(tok))
	}
	tok, err := f.accessToken(ctx)
	if err != nil {
		return nil, "", err
	}
	status, h, resp, err := search(ctx, tok)
	if err == nil && status == http.StatusUnauthorized {
		f.invalidate(tok)
		if tok, err = f.accessToken(ctx); err != nil {
			return nil, "", err
		}
		status, h, resp, err = search(ctx, tok)
	}
	if err != nil {
		return nil, "", err
	}
	switch {
	case status == http.StatusNoContent:
		return nil, "", nil
	case status != http.StatusOK:
		code, msg := errorBody(resp)
		return nil, "", fault.FromHTTP(status, h, code, msg)
	}
	var env struct {
		Success *bool             `json:"success"`
		Status  int               `json:"status"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(resp, &env); err != nil {
		return nil, "", fault.New(fault.Permanent, status, "", "cidaas user search: the answer holds no user array")
	}
	if env.Success != nil && !*env.Success {
		// cidaas may answer 200 with {"success":false,...}: its own status wins.
		code, msg := errorBody(resp)
		if env.Status < 400 {
			return nil, "", fault.New(fault.Permanent, status, code, "cidaas user search: refused")
		}
		return nil, "", fault.FromHTTP(env.Status, h, code, msg)
	}
	out := make([]*profile.Profile, 0, len(env.Data))
	for i, raw := range env.Data {
		p, err := decodeUser(raw)
		if err != nil || p.Sub == "" {
			return nil, "", fault.New(fault.Permanent, status, "", fmt.Sprintf("cidaas user search: user %d is unreadable or has no sub", offset+i))
		}
		out = append(out, p)
	}
	if len(out) < size {
		return out, "", nil
	}
	return out, strconv.Itoa(offset + len(out)), nil
}
