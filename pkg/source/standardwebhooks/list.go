package standardwebhooks

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
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// MaxPageSize is the largest limit Clerk's "List all users" accepts
// (documented: greater than zero, less than 501); DefaultPageSize is what
// List asks for when the caller gives no size.
const (
	MaxPageSize     = 500
	DefaultPageSize = 100
)

var _ source.Lister = (*Fetcher)(nil)

// List implements source.Lister with Clerk's GET /v1/users?limit=&offset=
// &order_by=+created_at, oldest first. The cursor is the next offset as
// decimal text ("" is 0). size ≤ 0 means DefaultPageSize; above
// MaxPageSize it is capped. A page shorter than asked is the last, as
// Clerk documents for paging without a total.
//
// Clerk offers no keyset cursor, only offsets: users created while
// listing sort after every user already listed (ascending created_at)
// and come on a later page, but a user deleted from a page already read
// shifts the rest one place back, so the run skips one user per deletion
// (and two users created in the same millisecond are ordered as Clerk
// pleases). Reconciliation should treat a backfill as best effort and
// rely on webhooks for the changes made during it.
//
// Users map as Fetch maps them; errors are classified as Fetch's.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	offset := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "clerk list users: the cursor is not an offset")
		}
		offset = n
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	q := url.Values{"limit": {strconv.Itoa(size)}, "offset": {strconv.Itoa(offset)}, "order_by": {"+created_at"}}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "clerk list users", f.cfg.APIURL+"/v1/users?"+q.Encode(), sourcekit.Bearer(f.cfg.APIKey))
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", clerkError(status, h, body)
	}
	var users []clerkUser
	if err := json.Unmarshal(body, &users); err != nil {
		return nil, "", fault.New(fault.Permanent, status, "", "clerk list users: not an array of users")
	}
	out := make([]*profile.Profile, 0, len(users))
	for i, u := range users {
		if u.ID == "" {
			return nil, "", fault.New(fault.Permanent, status, "", fmt.Sprintf("clerk list users: user %d has no id", offset+i))
		}
		out = append(out, u.profile())
	}
	if len(users) < size {
		return out, "", nil
	}
	return out, strconv.Itoa(offset + len(users)), nil
}
