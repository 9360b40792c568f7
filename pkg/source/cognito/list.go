package cognito

import (
	"context"

	"github.com/profilesync/profilesync/pkg/profile"
)

// MaxPage is ListUsers' largest Limit.
const MaxPage = 60

// List implements source.Lister with ListUsers: pages of at most MaxPage
// users in the pool's order, the cursor being Cognito's PaginationToken.
// A throttled call (TooManyRequestsException) is a fault.Throttled error.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	if size <= 0 || size > MaxPage {
		size = MaxPage
	}
	in := map[string]any{"UserPoolId": f.cfg.UserPoolID, "Limit": size}
	if cursor != "" {
		in["PaginationToken"] = cursor
	}
	var out struct {
		Users           []user `json:"Users"`
		PaginationToken string `json:"PaginationToken"`
	}
	if err := f.api.call(ctx, "ListUsers", in, &out); err != nil {
		return nil, "", err
	}
	ps := make([]*profile.Profile, 0, len(out.Users))
	for _, u := range out.Users {
		ps = append(ps, u.profile())
	}
	return ps, out.PaginationToken, nil
}
