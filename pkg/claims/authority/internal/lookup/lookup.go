// Package lookup holds what the authorities that look a record up in a
// system of the customer's own (a CRM, a directory) share: evidence
// placeholders in a query template, the mapping of a classified failure
// to claims.ErrUnavailable or claims.ErrMisconfigured, and reading
// enrichment attributes out of a found record. It knows no vendor.
package lookup

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/fault"
)

// placeholderRE is an evidence placeholder: {name}, name as the rule's
// evidence names are spelled.
var placeholderRE = lazyregexp.New(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Placeholder is one {name} in a template, at byte offsets [Start, End).
type Placeholder struct {
	Name       string
	Start, End int
}

// Placeholders lists the placeholders of tmpl in order.
func Placeholders(tmpl string) []Placeholder {
	var out []Placeholder
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(tmpl, -1) {
		out = append(out, Placeholder{Name: tmpl[m[2]:m[3]], Start: m[0], End: m[1]})
	}
	return out
}

// Names lists the distinct placeholder names of tmpl, sorted.
func Names(tmpl string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range Placeholders(tmpl) {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Expand replaces each placeholder of tmpl by quote(evidence[name]). When
// evidence lacks a name (or holds it empty), it returns that name and
// false; nothing else in tmpl changes, so the result is only as safe as
// quote.
func Expand(tmpl string, evidence map[string]string, quote func(string) string) (string, string, bool) {
	var b strings.Builder
	last := 0
	for _, p := range Placeholders(tmpl) {
		v := evidence[p.Name]
		if strings.TrimSpace(v) == "" {
			return "", p.Name, false
		}
		b.WriteString(tmpl[last:p.Start])
		b.WriteString(quote(v))
		last = p.End
	}
	b.WriteString(tmpl[last:])
	return b.String(), "", true
}

// Classify wraps a failure of the authority's system: throttling, a 5xx,
// a timeout or a network error (fault classes Transient and Throttled)
// wraps claims.ErrUnavailable; refused credentials and answers that
// cannot be read (Auth, Permanent) wrap claims.ErrMisconfigured. what
// names the authority and the step ("salesforce authority dealers:
// query"); the error's own text is kept, as the connectors have taken
// the evidence out of it.
func Classify(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, claims.ErrUnavailable) || errors.Is(err, claims.ErrMisconfigured) {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch fault.ClassOf(err) {
	case fault.Transient, fault.Throttled:
		return fmt.Errorf("%s: %w: %w", what, claims.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w: %w", what, claims.ErrMisconfigured, err)
}

// Field reads path (dotted for related records, "Owner.Name") from rec,
// matching keys case-insensitively, as CRM field names are.
func Field(rec map[string]any, path string) (any, bool) {
	var cur any = rec
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, found := m[part]
		if !found {
			for k, x := range m {
				if strings.EqualFold(k, part) {
					v, found = x, true
					break
				}
			}
		}
		if !found {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// String renders a field's value for a Reference; "" for null and for
// objects.
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		return ""
	}
	return fmt.Sprint(v)
}
