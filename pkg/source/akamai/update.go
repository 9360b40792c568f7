package akamai

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

// Update implements source.Updater with Capture's /entity.update: attrs,
// as one JSON object, are the record attributes to set; those not named
// stay, a null clears one, and an object merges into the one stored
// (Capture leaves an object's members that the update does not name).
//
// Only custom attributes are written: a name Fetch maps to a profile
// field (email, givenName...) or keeps out of profiles (password, id) is
// refused, as is a list anywhere in a value, because Capture appends to
// plurals instead of setting them, so Fetch would not return what was
// sent. Both are permanent faults, raised before any request.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "akamai update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	for k, v := range attrs {
		if mapped[k] || secret[k] {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("akamai update: %q is not a custom attribute", k))
		}
		if hasList(v) {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("akamai update: %q holds a list; Capture appends to plurals", k))
		}
	}
	value, err := json.Marshal(attrs)
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "akamai update: attributes not encodable as JSON")
	}
	form := url.Values{"type_name": {f.cfg.TypeName}, "uuid": {subject}, "attributes": {string(value)}}
	status, h, body, err := sourcekit.Send(ctx, f.hc, "capture entity.update", http.MethodPost, f.cfg.CaptureURL+"/entity.update",
		"application/x-www-form-urlencoded", []byte(form.Encode()), sourcekit.Basic(f.cfg.ClientID, f.cfg.ClientSecret))
	if err != nil {
		return err
	}
	var cr captureResponse
	jsonErr := json.Unmarshal(body, &cr)
	if status != http.StatusOK {
		return fault.FromHTTP(status, h, cr.Error, cr.ErrorDescription)
	}
	if jsonErr != nil {
		return fault.New(fault.Transient, status, "", "capture entity.update: response is not JSON")
	}
	switch cr.Stat {
	case "ok":
		return nil
	case "error":
		if cr.Code == codeRecordNotFound {
			return fmt.Errorf("capture user %s: %w", subject, source.ErrNotFound)
		}
		return &fault.Error{Class: captureClass(cr.Code), Status: status,
			Code: cr.Error, Message: fmt.Sprintf("capture code %d: %s", cr.Code, cr.ErrorDescription)}
	}
	return fault.New(fault.Transient, status, "", fmt.Sprintf("capture entity.update: unexpected stat %q", cr.Stat))
}

// hasList reports whether v, or any object inside it, holds a list.
func hasList(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false // Update refuses it when it encodes attrs
	}
	var generic any
	if json.Unmarshal(b, &generic) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case []any:
			return true
		case map[string]any:
			for _, m := range v {
				if walk(m) {
					return true
				}
			}
		}
		return false
	}
	return walk(generic)
}
