package scim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
)

// handler is the library's ResourceHandler over the server's store: the
// library has validated every body and filter before it calls in.
type handler Server

var _ elimity.ResourceHandler = (*handler)(nil)

var errPrecondition = scimerrors.ScimError{Status: http.StatusPreconditionFailed,
	Detail: "The resource has changed since the version in If-Match."}

func (h *handler) Create(_ *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.unique(attrs, ""); err != nil {
		return elimity.Resource{}, err
	}
	return resource((*Server)(h).insert(deepCopy(attrs))), nil
}

func (h *handler) Get(_ *http.Request, id string) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.users[id]
	if !ok {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return resource(u), nil
}

func (h *handler) GetAll(_ *http.Request, p elimity.ListRequestParams) (elimity.Page, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var all []elimity.Resource
	for _, id := range h.sortedIDs() {
		u := h.users[id]
		if p.FilterValidator != nil {
			m := deepCopy(u.attrs)
			m["id"] = u.id
			if p.FilterValidator.PassesFilter(escapeStrings(m).(map[string]any)) != nil {
				continue
			}
		}
		all = append(all, resource(u))
	}
	start := min(max(p.StartIndex-1, 0), len(all))
	end := min(start+max(p.Count, 0), len(all))
	return elimity.Page{TotalResults: len(all), Resources: append([]elimity.Resource{}, all[start:end]...)}, nil
}

func (h *handler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, err := h.writable(r, id)
	if err != nil {
		return elimity.Resource{}, err
	}
	if err := h.unique(attrs, id); err != nil {
		return elimity.Resource{}, err
	}
	u.attrs = deepCopy(attrs)
	u.version++
	return resource(u), nil
}

func (h *handler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, err := h.writable(r, id)
	if err != nil {
		return elimity.Resource{}, err
	}
	attrs := deepCopy(u.attrs) // PATCH is atomic: all operations or none
	for _, op := range ops {
		if err := apply(attrs, op); err != nil {
			return elimity.Resource{}, err
		}
	}
	if err := h.unique(attrs, id); err != nil {
		return elimity.Resource{}, err
	}
	u.attrs = attrs
	u.version++
	return resource(u), nil
}

func (h *handler) Delete(r *http.Request, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := h.writable(r, id); err != nil {
		return err
	}
	delete(h.users, id)
	return nil
}

// writable returns the user id if it exists and If-Match, when sent, names
// its current version ("*" matches any). Entity tags compare weakly.
func (h *handler) writable(r *http.Request, id string) (*user, error) {
	u, ok := h.users[id]
	if !ok {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" || im == "*" {
		return u, nil
	}
	for _, tag := range strings.Split(im, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == strings.TrimPrefix(u.etag(), "W/") {
			return u, nil
		}
	}
	return nil, errPrecondition
}

// unique enforces userName (case-insensitive) and externalId (case-exact)
// uniqueness among users other than self.
func (h *handler) unique(attrs map[string]any, self string) error {
	name, _ := attrs["userName"].(string)
	ext, _ := attrs["externalId"].(string)
	for id, u := range h.users {
		if id == self {
			continue
		}
		n, _ := u.attrs["userName"].(string)
		e, _ := u.attrs["externalId"].(string)
		if (name != "" && strings.EqualFold(n, name)) || (ext != "" && e == ext) {
			return scimerrors.ScimErrorUniqueness
		}
	}
	return nil
}

func (h *handler) sortedIDs() []string {
	ids := make([]string, 0, len(h.users))
	for id := range h.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// escapeStrings JSON-escapes every string in v. The filter parser keeps a
// compare value's escapes (externalId eq "a\"b" compares against a\"b),
// so stored values are escaped the same way before matching; a filter
// then finds a key with quotes or backslashes, as RFC 7644 intends.
func escapeStrings(v any) any {
	switch x := v.(type) {
	case string:
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x)
		s := strings.TrimSpace(b.String())
		return s[1 : len(s)-1]
	case map[string]any:
		for k, e := range x {
			x[k] = escapeStrings(e)
		}
	case []any:
		for i, e := range x {
			x[i] = escapeStrings(e)
		}
	}
	return v
}

func resource(u *user) elimity.Resource {
	r := elimity.Resource{ID: u.id, Attributes: deepCopy(u.attrs), Meta: elimity.Meta{Version: u.etag()}}
	if ext, ok := u.attrs["externalId"].(string); ok {
		r.ExternalID = optional.NewString(ext)
	}
	return r
}

// apply performs one validated PATCH operation on attrs. Paths are an
// attribute, an attribute's sub-attribute, or either with an extension's
// URN prefix; value filters (emails[type eq "work"]) are not supported.
func apply(attrs map[string]any, op elimity.PatchOperation) error {
	if op.Path == nil {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range m {
			if err := set(attrs, k, v, op.Op == elimity.PatchOperationAdd); err != nil {
				return err
			}
		}
		return nil
	}
	if op.Path.ValueExpression != nil || op.Path.SubAttribute != nil {
		return scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "The sandbox does not support value filters in PATCH paths."}
	}
	container := attrs
	if uri := op.Path.AttributePath.URI(); uri != "" {
		container = child(attrs, uri)
	}
	name := op.Path.AttributePath.AttributeName
	if sub := op.Path.AttributePath.SubAttributeName(); sub != "" {
		container = child(container, name)
		name = sub
	}
	if op.Op == elimity.PatchOperationRemove {
		delete(container, key(container, name))
		return nil
	}
	return set(container, name, op.Value, op.Op == elimity.PatchOperationAdd)
}

// set writes v at name; "add" appends to a multi-valued attribute and
// merges into a complex one, "replace" overwrites.
func set(m map[string]any, name string, v any, add bool) error {
	k := key(m, name)
	if sub, ok := v.(map[string]any); ok {
		target := child(m, k)
		if !add {
			clear(target)
		}
		for sk, sv := range sub {
			target[key(target, sk)] = sv
		}
		return nil
	}
	if list, ok := v.([]any); ok && add {
		if have, ok := m[k].([]any); ok {
			m[k] = append(have, list...)
			return nil
		}
	}
	m[k] = v
	return nil
}

// key is the existing key matching name case-insensitively, else name.
func key(m map[string]any, name string) string {
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// child returns the complex attribute at name, creating it.
func child(m map[string]any, name string) map[string]any {
	k := key(m, name)
	c, ok := m[k].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[k] = c
	}
	return c
}
