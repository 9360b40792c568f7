package ldap

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// attribute is one mapped attribute; no values means "remove it".
type attribute struct {
	name   string
	values []string
}

// attributes turns a record's fields (attribute name → value) into LDAP
// attributes, sorted by name. A string, number or bool is one value; a list
// is many; nil, "" or an empty list removes the attribute. Attributes the
// connector owns (objectClass, the id and RDN attributes, AD's
// userAccountControl) are dropped: the settings decide them.
func (c *Client) attributes(fields map[string]any) ([]attribute, error) {
	out := make([]attribute, 0, len(fields))
	seen := map[string]string{}
	for name, v := range fields {
		if !attrNameRE.MatchString(name) {
			return nil, fmt.Errorf("field %q: not an LDAP attribute name", name)
		}
		lower := strings.ToLower(name)
		if prev, dup := seen[lower]; dup {
			return nil, fmt.Errorf("fields %q and %q name the same attribute", prev, name)
		}
		seen[lower] = name
		if c.owned(name) {
			continue
		}
		vals, err := values(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		out = append(out, attribute{name: name, values: vals})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (c *Client) owned(name string) bool {
	for _, o := range []string{"objectClass", c.settings.IDAttribute, c.rdnAttr} {
		if strings.EqualFold(name, o) {
			return true
		}
	}
	return c.settings.Flavor == AD && strings.EqualFold(name, uacAttr)
}

// values converts one field value to LDAP string values, dropping empty
// and duplicate ones (a directory refuses a repeated value).
func values(v any) ([]string, error) {
	var out []string
	var add func(v any, nested bool) error
	add = func(v any, nested bool) error {
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				out = append(out, x)
			}
		case []byte:
			if len(x) > 0 {
				out = append(out, string(x))
			}
		case bool:
			out = append(out, strings.ToUpper(strconv.FormatBool(x))) // RFC 4517 Boolean
		case float64:
			out = append(out, formatFloat(x))
		case int, int32, int64, uint, uint32, uint64, json.Number:
			out = append(out, fmt.Sprint(x))
		case []string:
			for _, s := range x {
				_ = add(s, true)
			}
		case []any:
			if nested {
				return fmt.Errorf("a list inside a list cannot be an attribute value")
			}
			for _, e := range x {
				if err := add(e, true); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("a %T cannot be an attribute value (want a string, number, bool or a list of them)", v)
		}
		return nil
	}
	if err := add(v, false); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// formatFloat writes whole numbers (JSON numbers decode as float64) as
// integers, which is what INTEGER syntax attributes accept.
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// sameValues compares as sets: LDAP attribute values are unordered.
func sameValues(have, want []string) bool {
	if len(have) != len(want) {
		return false
	}
	h := slices.Clone(have)
	slices.Sort(h)
	return slices.Equal(h, want) // want is sorted by values()
}

// dn is the new entry's DN for key, the key escaped as an RDN value
// (RFC 4514) so a key with ",", "+", quotes or a leading "#" stays one value.
func (c *Client) dn(key string) string {
	return strings.Replace(c.settings.DNTemplate, KeyPlaceholder, ldap.EscapeDN(key), 1)
}

// addRequest is a new entry for key with attrs (empty ones left out).
func (c *Client) addRequest(dn, key string, attrs []attribute) *ldap.AddRequest {
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", c.settings.ObjectClasses)
	req.Attribute(c.settings.IDAttribute, []string{key})
	if !strings.EqualFold(c.rdnAttr, c.settings.IDAttribute) {
		req.Attribute(c.rdnAttr, []string{key})
	}
	for _, a := range attrs {
		if len(a.values) > 0 {
			req.Attribute(a.name, a.values)
		}
	}
	return req
}

// modifyRequest replaces the attributes whose values differ from have's
// and removes the ones the record empties (a replace with no values, which
// a directory ignores when the attribute is already absent). have is nil
// when the entry was not read (taken over after 68): every attribute is
// then written.
func modifyRequest(dn string, have *ldap.Entry, attrs []attribute) *ldap.ModifyRequest {
	req := ldap.NewModifyRequest(dn, nil)
	for _, a := range attrs {
		if have != nil && sameValues(have.GetEqualFoldAttributeValues(a.name), a.values) {
			continue
		}
		req.Replace(a.name, a.values)
	}
	return req
}

func names(attrs []attribute, extra ...string) []string {
	out := slices.Clone(extra)
	for _, a := range attrs {
		out = append(out, a.name)
	}
	if len(out) == 0 {
		return []string{"1.1"} // RFC 4511: no attributes
	}
	return out
}
