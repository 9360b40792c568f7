package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
)

// Update implements source.Updater with PATCH /v1.0/users/{id}: each
// attribute is one of the configured custom_attributes, a directory
// extension of the b2c-extensions-app (extension_<app id>_<name>, the
// custom user attributes External ID's portal creates), and a null
// clears it. Graph answers 204 and leaves the properties not named alone.
//
// Refused before any request, as permanent faults: a name not in
// custom_attributes (Fetch would not read it back, and Graph would refuse
// an extension it does not know), entra_account_enabled (Fetch derives
// it), and an object value (extension properties are strings, numbers,
// booleans or collections of them). The app needs User.ReadWrite.All.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "entra update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	patch := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if !slices.Contains(f.cfg.CustomAttributes, k) {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("entra update: %q is not one of the source's custom_attributes", k))
		}
		if _, ok := v.(map[string]any); ok {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("entra update: %q is an object; directory extensions are flat", k))
		}
		patch[f.cfg.extensionName(k)] = v
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "entra update: value not encodable as JSON")
	}
	status, h, resp, err := f.call(ctx, "entra update user", http.MethodPatch, f.cfg.GraphURL+"/v1.0/users/"+url.PathEscape(subject), body)
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("entra user %s: %w", subject, source.ErrNotFound)
	}
	return graphFault(status, h, resp)
}
