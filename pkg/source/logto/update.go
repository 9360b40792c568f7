package logto

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

// Update implements source.Updater on the user's customData, whose keys
// Fetch returns under Custom. Without removals it is one partial update
// (PATCH /api/users/{id}/custom-data): the keys named are set, the others
// stay, a nested object replaces the stored one (Logto merges at the top
// level only). Logto would store a null as null rather than drop the key,
// so an update with a nil reads the user and writes customData back whole
// (PATCH /api/users/{id}); an admin change to customData between that read
// and write is lost. "suspended", which Fetch derives from the user's
// state, is refused as a permanent fault. A 401 refreshes the token once.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "logto update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	removes := false
	for k, v := range attrs {
		if k == "suspended" {
			return fault.New(fault.Permanent, 0, "", `logto update: "suspended" is the user's state, not custom data`)
		}
		removes = removes || v == nil
	}
	user := f.cfg.Endpoint + "/api/users/" + url.PathEscape(subject)
	if !removes {
		return f.patch(ctx, subject, user+"/custom-data", map[string]any{"customData": attrs})
	}
	status, h, body, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "logto get user", user, sourcekit.Bearer(tok))
	})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return answerError(subject, status, h, body)
	}
	var current struct {
		CustomData map[string]any `json:"customData"`
	}
	if json.Unmarshal(body, &current) != nil {
		return fault.New(fault.Permanent, status, "", "logto get user: unreadable user")
	}
	next := make(map[string]any, len(current.CustomData)+len(attrs))
	for k, v := range current.CustomData {
		next[k] = v
	}
	for k, v := range attrs {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	return f.patch(ctx, subject, user, map[string]any{"customData": next})
}

func (f *Fetcher) patch(ctx context.Context, subject, u string, body any) error {
	status, h, resp, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.SendJSON(ctx, f.hc, "logto update user", http.MethodPatch, u, body, sourcekit.Bearer(tok))
	})
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return answerError(subject, status, h, resp)
}

// answerError classifies a Management API error as Fetch does.
func answerError(subject string, status int, h http.Header, body []byte) error {
	if status == http.StatusNotFound {
		return fmt.Errorf("logto user %s: %w", subject, source.ErrNotFound)
	}
	var e struct{ Message, Code string } // Logto's {"message","code"}
	_ = json.Unmarshal(body, &e)
	return fault.FromHTTP(status, h, e.Code, e.Message)
}
