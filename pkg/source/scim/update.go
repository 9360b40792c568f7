package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// PatchOpSchema is RFC 7644 §3.5.2's message schema.
const PatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Update implements source.Updater with one PATCH {base_url}/Users/{id}:
// each attribute is a "replace" at "<extension>:<name>" with its value, or
// a "remove" at that path when the value is nil, in one PatchOp, which
// RFC 7644 §3.5.2 makes atomic. Keys are attribute names of the
// configured extension, as Fetch returns them under Custom: a dotted,
// URN-prefixed or otherwise malformed name, or a reserved one (active,
// enterprise), is refused as a permanent fault before any request. Values
// go as given; the CIAM's schema decides whether it takes them (a
// mismatch is its 400, a permanent fault).
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "scim update user: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		if !writable(k) {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("scim update user: %q is not an attribute name of the extension", k))
		}
		names = append(names, k)
	}
	sort.Strings(names) // a stable body, for logs and tests
	ops := make([]patchOp, 0, len(names))
	for _, k := range names {
		op := patchOp{Op: "replace", Path: f.cfg.Extension + ":" + k, Value: attrs[k]}
		if attrs[k] == nil {
			op.Op = "remove"
		}
		ops = append(ops, op)
	}
	body := map[string]any{"schemas": []string{PatchOpSchema}, "Operations": ops}
	b, err := json.Marshal(body)
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "scim update user: a value not encodable as JSON")
	}
	status, h, resp, err := sourcekit.Send(ctx, f.hc, "scim update user", http.MethodPatch, f.userURL(subject), "application/scim+json", b, f.auth())
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return f.answerError(status, h, resp)
}
