package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater with Okta's partial profile update
// (POST /api/v1/users/{id} with {"profile":{...}}; PUT would replace the
// whole profile): the attributes named are set, a null clears one, the
// others stay. They must exist in the org's user profile schema, or Okta
// answers 400 (permanent).
//
// Okta profile attributes are flat (string, number, boolean, arrays of
// them): an object value is refused, as are the base attributes Fetch
// maps to profile fields (email, firstName...) and okta_status, which
// Fetch derives from the user's status. Both are permanent faults raised
// before any request.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "okta update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	for k, v := range attrs {
		if mapped[k] || k == "okta_status" {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("okta update: %q is not a custom attribute", k))
		}
		if _, ok := v.(map[string]any); ok {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("okta update: %q is an object; Okta profile attributes are flat", k))
		}
	}
	status, h, body, err := f.do(ctx, func(ctx context.Context, auth http.Header) (int, http.Header, []byte, error) {
		return sourcekit.SendJSON(ctx, f.hc, "okta update user", http.MethodPost,
			f.cfg.OrgURL+"/api/v1/users/"+url.PathEscape(subject), map[string]any{"profile": attrs}, auth)
	})
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("okta user %s: %w", subject, source.ErrNotFound)
	}
	var e struct{ ErrorCode, ErrorSummary string }
	_ = json.Unmarshal(body, &e)
	fe := fault.FromHTTP(status, h, e.ErrorCode, e.ErrorSummary)
	if status == http.StatusTooManyRequests && fe.RetryAfter == 0 {
		fe.RetryAfter = f.untilReset(h)
	}
	return fe
}
