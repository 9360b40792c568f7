package standardwebhooks

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

// Update implements source.Updater with Clerk's "merge and update a
// user's metadata" (PATCH /v1/users/{id}/metadata). Fetch puts Clerk's
// metadata under Custom by its Clerk name, so the attributes Update writes
// are those names: public_metadata (set only from the Backend API, so the
// place for verdicts) and unsafe_metadata (which the user can write too),
// each a JSON object. Clerk deep-merges it into the stored metadata: keys
// not named stay, at every level, and a null removes a key. Write
// {"public_metadata": {"hcp": {...}}} to set one key of it.
//
// Clearing a whole metadata object (a nil value), external_id and any
// other name are refused as permanent faults before any request:
// the metadata PATCH cannot express them.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "clerk update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	for k, v := range attrs {
		if k != "public_metadata" && k != "unsafe_metadata" {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("clerk update: %q is not writable; write keys of public_metadata", k))
		}
		if _, ok := v.(map[string]any); !ok {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("clerk update: %s must be an object of the keys to merge", k))
		}
	}
	status, h, body, err := sourcekit.SendJSON(ctx, f.hc, "clerk update metadata", http.MethodPatch,
		f.cfg.APIURL+"/v1/users/"+url.PathEscape(subject)+"/metadata", attrs, sourcekit.Bearer(f.cfg.APIKey))
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("clerk user %s: %w", subject, source.ErrNotFound)
	}
	return clerkError(status, h, body)
}

// clerkError classifies a Clerk error answer,
// {"errors":[{"code":"...","message":"..."}]}.
func clerkError(status int, h http.Header, body []byte) error {
	var e struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	var code, msg string
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		code, msg = e.Errors[0].Code, e.Errors[0].Message
	}
	return fault.FromHTTP(status, h, code, msg)
}
