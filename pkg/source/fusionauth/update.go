package fusionauth

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

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater on user.data, whose keys Fetch returns
// under Custom: PATCH /api/user/{userId} with a JSON merge patch (RFC 7396,
// Content-Type application/merge-patch+json, FusionAuth 1.39+)
// {"user":{"data":attrs}}. Keys named are set, the others stay, a nested
// object merges member by member and a null removes a key. "active",
// which Fetch derives from the user's state, is refused as a permanent
// fault before any request.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "fusionauth update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	if _, ok := attrs["active"]; ok {
		return fault.New(fault.Permanent, 0, "", `fusionauth update: "active" is the user's state, not user data`)
	}
	body, err := json.Marshal(map[string]any{"user": map[string]any{"data": attrs}})
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "fusionauth update: attributes not encodable as JSON")
	}
	h := http.Header{"Authorization": {f.cfg.APIKey}} // raw, no scheme
	if f.cfg.TenantID != "" {
		h.Set("X-FusionAuth-TenantId", f.cfg.TenantID)
	}
	status, rh, resp, err := sourcekit.Send(ctx, f.hc, "fusionauth update user", http.MethodPatch,
		f.cfg.APIURL+"/api/user/"+url.PathEscape(subject), "application/merge-patch+json", body, h)
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("fusionauth user %s: %w", subject, source.ErrNotFound)
	}
	// 400 carries {"fieldErrors":{field:[{"code","message"}]},"generalErrors":[...]};
	// only the codes are kept: a message may quote a value.
	var e struct {
		FieldErrors   map[string][]struct{ Code string } `json:"fieldErrors"`
		GeneralErrors []struct{ Code string }            `json:"generalErrors"`
	}
	var codes []string
	if json.Unmarshal(resp, &e) == nil {
		for _, g := range e.GeneralErrors {
			codes = append(codes, g.Code)
		}
		for _, fes := range e.FieldErrors {
			for _, fe := range fes {
				codes = append(codes, fe.Code)
			}
		}
	}
	return fault.FromHTTP(status, rh, strings.Join(codes, ","), "")
}
