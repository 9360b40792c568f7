package auth0

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater with the Management API's user update
// (PATCH /api/v2/users/{id}, scope update:users or update:users_app_metadata).
// Fetch puts Auth0's metadata under Custom by its Auth0 name, so those are
// the attributes Update writes: app_metadata (only admins and the tenant's
// code write it, so the place for verdicts) and user_metadata (which the
// user may edit), each an object. Auth0 merges it at its root only: a
// root key named replaces the stored one whole (nested objects too), a
// null removes it, others stay. A nil value clears the whole object
// (Auth0 empties metadata patched with {}). Any other name is refused as a
// permanent fault before any request. A 401 refreshes the token once.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "auth0 update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	body := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if k != "app_metadata" && k != "user_metadata" {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("auth0 update: %q is not writable; write keys of app_metadata", k))
		}
		switch v.(type) {
		case nil:
			body[k] = map[string]any{}
		case map[string]any:
			body[k] = v
		default:
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("auth0 update: %s must be an object of the keys to set", k))
		}
	}
	u := f.cfg.Domain + "/api/v2/users/" + url.PathEscape(subject)
	status, h, resp, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.SendJSON(ctx, f.hc, "auth0 update user", http.MethodPatch, u, body, sourcekit.Bearer(tok))
	})
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("auth0 user %s: %w", subject, source.ErrNotFound)
	}
	code, msg := errorBody(resp)
	fe := fault.FromHTTP(status, h, code, msg)
	if status == http.StatusTooManyRequests && fe.RetryAfter == 0 {
		fe.RetryAfter = f.untilReset(h)
	}
	return fe
}
