package cidaas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// UpdatePath is cidaas's admin user update below base_url (PUT, scopes
// cidaas:users_write and cidaas:userupdate). It is not the read path: the
// users API reads at /users-srv/user/{sub} and updates at
// /user-srv/users/{sub}, as cidaas documents "Update user by sub (Admin)".
const UpdatePath = "/user-srv/users/{sub}"

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater: attrs become the customFields of one
// admin update. cidaas sets each named field and leaves the others; a
// null (or "") unassigns a field. Fields must be enabled in the tenant's
// field settings, or cidaas refuses the update (400 or 417: permanent).
// A 401 refreshes the token once, as Fetch does.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "cidaas update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	body, err := json.Marshal(map[string]any{"customFields": attrs})
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "cidaas update: attributes not encodable as JSON")
	}
	u := f.cfg.BaseURL + strings.ReplaceAll(UpdatePath, "{sub}", url.PathEscape(subject))
	put := func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Send(ctx, f.hc, "cidaas update user", http.MethodPut, u, "application/json", body, sourcekit.Bearer(tok))
	}
	tok, err := f.accessToken(ctx)
	if err != nil {
		return err
	}
	status, h, resp, err := put(ctx, tok)
	if err == nil && status == http.StatusUnauthorized {
		f.invalidate(tok)
		if tok, err = f.accessToken(ctx); err != nil {
			return err
		}
		status, h, resp, err = put(ctx, tok)
	}
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusNotFound:
		return fmt.Errorf("cidaas user %s: %w", subject, source.ErrNotFound)
	case status >= 200 && status < 300:
		// cidaas may answer 200 with {"success":false,...}: its own status wins.
		var env struct {
			Success *bool `json:"success"`
			Status  int   `json:"status"`
		}
		if json.Unmarshal(resp, &env) == nil && env.Success != nil && !*env.Success {
			if env.Status == http.StatusNotFound {
				return fmt.Errorf("cidaas user %s: %w", subject, source.ErrNotFound)
			}
			code, msg := errorBody(resp)
			if env.Status < 400 {
				return fault.New(fault.Permanent, status, code, "cidaas update: refused")
			}
			return fault.FromHTTP(env.Status, h, code, msg)
		}
		return nil
	}
	code, msg := errorBody(resp)
	return fault.FromHTTP(status, h, code, msg)
}
