package keycloak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater on user attributes. Keycloak's PUT
// /admin/realms/{realm}/users/{id} replaces the attributes map whole, so
// Update reads the UserRepresentation, changes the attributes named and
// writes the representation back: a nil removes an attribute, others stay.
// There is no precondition on the write: an admin change to the same user
// between the read and the write is lost (Keycloak offers no ETag).
//
// Keycloak attributes are lists of strings, and Fetch returns a
// one-element list as its string: a string is stored as itself, a number
// or bool as its text (Fetch then returns "3", "true"), a list of those
// as a list. Objects, the attributes Fetch maps to profile fields (locale,
// phoneNumber, street...) and "enabled" are refused as permanent faults
// before any request. On Keycloak 24+ with the declarative user profile,
// an attribute must be declared or unmanaged attributes enabled, or
// Keycloak drops or refuses it. A 401 refreshes the token once.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "keycloak update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	values := make(map[string][]string, len(attrs))
	for k, v := range attrs {
		if standardAttributes[k] != nil || addressAttributes[k] != nil || k == "enabled" {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("keycloak update: %q is not a custom attribute", k))
		}
		vs, ok := attributeValues(v)
		if !ok {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("keycloak update: %q is not a string, number, bool or list of them", k))
		}
		values[k] = vs
	}
	u := f.cfg.BaseURL + "/admin/realms/" + url.PathEscape(f.cfg.Realm) + "/users/" + url.PathEscape(subject)
	status, h, body, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "keycloak get user", u, sourcekit.Bearer(tok))
	})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return f.answerError(subject, status, h, body)
	}
	// The representation is kept as read, so fields this package does not
	// know go back unchanged.
	var rep map[string]json.RawMessage
	var current struct {
		Attributes map[string][]string `json:"attributes"`
	}
	if json.Unmarshal(body, &rep) != nil || json.Unmarshal(body, &current) != nil {
		return fault.New(fault.Permanent, status, "", "keycloak get user: unreadable UserRepresentation")
	}
	next := make(map[string][]string, len(current.Attributes)+len(values))
	for k, vs := range current.Attributes {
		next[k] = vs
	}
	for k, vs := range values {
		if vs == nil {
			delete(next, k)
		} else {
			next[k] = vs
		}
	}
	rep["attributes"], _ = json.Marshal(next)
	status, h, body, err = f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.SendJSON(ctx, f.hc, "keycloak update user", http.MethodPut, u, rep, sourcekit.Bearer(tok))
	})
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return f.answerError(subject, status, h, body)
}

// answerError classifies a non-2xx Admin API answer as Fetch does.
func (f *Fetcher) answerError(subject string, status int, h http.Header, body []byte) error {
	if status == http.StatusNotFound {
		return fmt.Errorf("keycloak user %s: %w", subject, source.ErrNotFound)
	}
	var e struct {
		Error        string `json:"error"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &e)
	msg := e.Error
	if msg == "" {
		msg = e.ErrorMessage
	}
	return fault.FromHTTP(status, h, "", msg)
}

// attributeValues renders v as Keycloak attribute values: nil for a
// removal, one string for a scalar, one per element for a list of
// scalars; ok false for anything else.
func attributeValues(v any) (vs []string, ok bool) {
	scalar := func(v any) (string, bool) {
		switch v := v.(type) {
		case string:
			return v, true
		case bool:
			return strconv.FormatBool(v), true
		case json.Number:
			return v.String(), true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		case float32:
			return strconv.FormatFloat(float64(v), 'f', -1, 32), true
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			return fmt.Sprint(v), true
		}
		return "", false
	}
	switch v := v.(type) {
	case nil:
		return nil, true
	case []string:
		return append([]string{}, v...), true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := scalar(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalar(v)
	if !ok {
		return nil, false
	}
	return []string{s}, true
}
